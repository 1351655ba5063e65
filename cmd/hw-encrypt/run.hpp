// run: what hw-encrypt does once its options are parsed; each returns the exit status.
#pragma once

#include <string>

#include "conduit/fd.hpp"
#include "options.hpp"

namespace hw_encrypt {

int run(const Options& options);
int run_keygen(const Options& options);
int run_raw(const Options& options);

// Shared by the modes: open IN ("-" = stdin) or print why not; the name for messages.
bool open_input(const std::string& path, conduit::Fd& owner, int& fd);
std::string input_name(const std::string& path);
// Grows IN and OUT when they are pipes (best effort).
void grow_pipes(int in_fd, int out_fd);
void error(const std::string& message);

}  // namespace hw_encrypt
