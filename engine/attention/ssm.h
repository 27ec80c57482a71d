// ssm.h - the recurrent layers of the Dynamical Systems Framework (DSF;
// Sieber et al., 2024, arXiv:2405.15731) that are not attention: an S6-like
// selective state space model (Mamba; Gu & Dao, 2023) and a gated linear RNN
// (the qLSTM of DSF's experiments code, IntelligentControlSystems/dsf-mqar,
// zoology/mixers/lstm.py).  Lesson dsf.
//
// DSF writes every layer, for one input channel u, as the time-varying system
//   h_i = Lambda_i h_(i-1) + B_i u_i,   y_i = C_i h_i (+ D_i u_i)      (DSF eq. 1)
// and materializes it as y = Phi u with the lower-triangular
//   Phi_ij = C_i Lambda_i Lambda_(i-1) ... Lambda_(j+1) B_j,   j <= i.  (DSF eq. 2)
// Both layers here have a DIAGONAL Lambda_i, so one channel with state size n
// is fully described by three (L, n) arrays lambda, b, c:
//   h_i[s] = lambda_i[s] h_(i-1)[s] + b_i[s] u_i,   y_i = sum_s c_i[s] h_i[s].
// The feed-through D_i is 0 throughout (neither layer needs it here).
//
// Every operator comes twice: the recurrence (`_forward`, O(L n), what a
// recurrent model runs: state size n) and the materialized Phi (`_phi`,
// O(L^2 n), the plain reference); tests check y == Phi u.  Double precision,
// + - * / and detmath::exp only, so native and wasm agree bit for bit.
// Shapes are row-major; "(L, n)" means L rows of n.
#pragma once

namespace attn {

// ------------------------------------------------------------ the core system
// One channel of a diagonal time-varying system.
//   lambda, b, c are (L, n); u and y are (L).
void diag_system_forward(const double* lambda, const double* b, const double* c, const double* u, double* y, int L,
                         int n);
// Phi (L, L): Phi_ij = sum_s c_i[s] (prod_{k=j+1..i} lambda_k[s]) b_j[s] for j <= i, 0 above the diagonal.
void diag_system_phi(const double* lambda, const double* b, const double* c, double* phi, int L, int n);

// ------------------------------------------------------------- S6 (Mamba)
// The selective SSM with Mamba's discretization (zero-order hold for A,
// Euler for B, as in its reference scan):
//   Lambda_i = exp(delta_i A),   B_i <- delta_i B_i,   y_i = C_i . h_i
// per channel c with its own diagonal A^c (A <= 0) and step delta^c_i >= 0;
// B_i and C_i (state size n) are shared by all channels, as in Mamba.
//   u is (L, dv): the dv channels; delta is (L, dv); A is (dv, n), every entry <= 0
//   (positive entries are treated as 0); B and C are (L, n); y is (L, dv).
void s6_forward(const double* u, const double* delta, const double* A, const double* B, const double* C, double* y,
                int L, int dv, int n);
// Phi of every channel: (dv, L, L).
void s6_phi(const double* delta, const double* A, const double* B, const double* C, double* phi, int L, int dv,
            int n);
// Mamba's step is delta = softplus(x): attn::softplus (attention.h).

// S6 with one step and one A shared by all channels (Mamba-2's SSD shares
// them per head): Lambda_i = exp(delta_i A) is computed once per token, and
// the state is (n, dv).  Equals s6_forward with delta and A repeated per channel.
//   u is (L, dv); delta is (L); A is (n), entries <= 0; B and C are (L, n); y is (L, dv).
void s6_shared_forward(const double* u, const double* delta, const double* A, const double* B, const double* C,
                       double* y, int L, int dv, int n);
// The Phi every channel shares: (L, L).
void s6_shared_phi(const double* delta, const double* A, const double* B, const double* C, double* phi, int L, int n);

// ---------------------------------------------------------- gated linear RNN
// DSF's qLSTM: one scalar state per channel (state size = number of channels H),
// every gate computed from the input (dsf-mqar lstm.py):
//   h_i = a_i * h_(i-1) + g_i * x_i,   y_i = o_i * h_i      (elementwise)
// with forget a_i = sigmoid(-f_i)^relu(alpha) ("reversed sigmoid"), input
// g_i = sigmoid(i_i) and output o_i = sigmoid(o_i): Lambda_i = diag(a_i),
// B_i = diag(g_i), C_i = diag(o_i).
//   x, a, g, o and y are (L, H).
void gated_rnn_forward(const double* x, const double* a, const double* g, const double* o, double* y, int L, int H);
// Phi of every channel: (H, L, L), Phi^h_ij = o_ih (prod_{k=j+1..i} a_kh) g_jh.
void gated_rnn_phi(const double* a, const double* g, const double* o, double* phi, int L, int H);
// The qLSTM forget gate from its pre-activation f: sigmoid(-f)^relu(alpha), in [0, 1].
double qlstm_forget_gate(double f, double alpha);
// sigmoid(x) = 1 / (1 + e^-x) in double, never overflowing.
double sigmoid(double x);

}  // namespace attn
