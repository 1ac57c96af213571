// Compile-time diagnostics in DTrace's form: a tag (D_SYNTAX, ...), a line
// and a message. The first error ends the compilation, as in DTrace.
#pragma once

#include "util/error.h"
