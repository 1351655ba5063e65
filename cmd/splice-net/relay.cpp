// relay: placeholder until the subcommand lands (being written now; see issue 7).
#include "commands.hpp"

namespace splice_net {

int run_relay(const Options&) {
  log_line(std::string(kProg) + ": relay: not implemented yet");
  return 1;
}

}  // namespace splice_net
