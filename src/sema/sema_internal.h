// Helpers the files of semantic analysis share: making IR nodes and
// statements.
#pragma once

#include "sema/ir.h"

#include <memory>

namespace dtrace::sema {

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
