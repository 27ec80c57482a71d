// cli.cpp - playground-cli's entry point (the runner is web/cli_main.cpp).
#include <string>
#include <vector>

#include "web/cli_main.h"

int main(int argc, char** argv) { return pg::cli_main(std::vector<std::string>(argv + 1, argv + argc)); }
