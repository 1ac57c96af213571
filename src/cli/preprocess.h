// Runs the system's C preprocessor over a D program (-C), as DTrace does.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dtrace::cli {

// The preprocessed text; throws Error when cpp failed (it has then printed
// its own errors on stderr).
// program: the preprocessor to run (-x cpppath; cpp on PATH by default).
std::string preprocess(const std::string &source, const std::vector<std::string> &args,
                       const std::string &program = "cpp");

} // namespace dtrace::cli
