// cli_main.h - the command-line runner as a function: arguments in (without
// the program name), exit code out (0 ok, 1 failure, 2 bad arguments with one
// line on stderr).  web/cli.cpp's main() and the CLI fuzz harness call it.
#pragma once
#include <string>
#include <vector>

namespace pg {
int cli_main(const std::vector<std::string>& args);
}  // namespace pg
