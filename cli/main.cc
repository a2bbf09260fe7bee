// paasta: the command line interface of the platform.
#include "cli/cli.h"

int main(int argc, char** argv) { return paasta::cli::RunCli(argc, argv); }
