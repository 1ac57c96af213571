// Helpers the files of semantic analysis share: making IR nodes and
// statements.
#pragma once

#include "sema/ir.h"

#include <memory>
#include <string>

namespace dtrace::sema {

// Whether /proc/modules lists a kernel module.
bool kernelModuleLoaded(const std::string &name);

inline ir::NodePtr mk(ir::NodeKind k, SourceLoc loc, TypeRef t) {
    return std::make_unique<ir::Node>(k, loc, std::move(t));
}

inline ir::StmtPtr mkStmt(ir::StmtKind k, SourceLoc loc) {
    auto s = std::make_unique<ir::Stmt>();
    s->kind = k;
    s->loc = loc;
    return s;
}

} // namespace dtrace::sema
