// worker_link.cpp - see worker_link.h.
#include "web/worker_link.h"

namespace pg {

std::string live_settings(const Session& s, std::vector<std::pair<std::string, std::string>>* pairs) {
  std::string text;
  auto add = [&](const std::string& key, const std::string& value) {
    text += (text.empty() ? "" : "&") + key + "=" + value;
    if (pairs) pairs->emplace_back(key, value);
  };
  for (const ParamSpec& spec : s.params().specs())
    if (!spec.restarts) add(spec.key, s.params().text(spec));
  bool found = false;
  add("speed", s.get("speed", found));
  return text;
}

bool WorkerLink::suits(const Session& s) {
  return s.info().stepping == Stepping::on_play && s.lesson().views_draw_from_outputs();
}

bool WorkerLink::drive(Session& s) {
  if (!s.in_worker()) {
    if (!ready_ || !suits(s)) return false;
    // The page's instance keeps the run until there is something to run:
    // a fresh lesson, a knob drag and a reset show at once.
    if (!(s.wants_steps() || s.pending_steps > 0)) return false;
    WorkerMessage m;
    m.type = WorkerMessage::run;
    m.generation = generation_ = s.generation();
    m.state = s.state_string();
    m.replay = s.steps_done();
    post_(m);
    s.hand_to_worker();
    sent_playing_ = false, sent_target_ = -1;
    sent_live_ = live_settings(s);  // the state string carried them
  }
  // (A reset gives the session a new generation and takes it out of the
  // worker, so here the worker has this session's run.)
  // Live knobs first: a Play that follows a change runs with it.
  std::vector<std::pair<std::string, std::string>> pairs;
  const std::string live = live_settings(s, &pairs);
  if (live != sent_live_) {
    sent_live_ = live;
    WorkerMessage m;
    m.type = WorkerMessage::set;
    m.generation = generation_;
    m.pairs = std::move(pairs);
    post_(m);
  }
  const bool playing = s.playing && !s.done();
  if (playing != sent_playing_ || s.target_step != sent_target_) {
    WorkerMessage m;
    m.type = WorkerMessage::control;
    m.generation = generation_;
    m.playing = sent_playing_ = playing;
    m.target = sent_target_ = s.target_step;
    post_(m);
  }
  for (const std::string& action : s.pending_actions) {
    WorkerMessage m;
    m.type = WorkerMessage::act;
    m.generation = generation_;
    m.action = action;
    post_(m);
  }
  s.pending_actions.clear();
  if (s.pending_steps > 0) {
    WorkerMessage m;
    m.type = WorkerMessage::steps;
    m.generation = generation_;
    m.n = s.pending_steps;
    s.pending_steps = 0;
    post_(m);
  }
  return true;
}

}  // namespace pg
