//===- Tool.h - Shared pieces of the nnmodel subcommands ---------*- C++ -*-===//
#ifndef NNM_TOOLS_NNMODEL_TOOL_H
#define NNM_TOOLS_NNMODEL_TOOL_H

#include <string>
#include <vector>

namespace nnm::tool {

/// Prints "nnmodel: error: MSG" to stderr and returns 1 (the error exit code).
int fail(const std::string &msg);
int fail(const std::vector<std::string> &msgs);

/// Parses "NAME=N" for --dim; false when malformed.
bool parseDim(const std::string &text, std::string &name, int64_t &value);

int runCommand(const std::vector<std::string> &args);

} // namespace nnm::tool

#endif
