// Why a provider DTrace users know has no probes here: providers of
// Solaris that Linux has no counterpart for, and providers of ours whose
// kernel hooks the running kernel lacks. A description naming one is told
// so in one line, instead of a bare "does not match any probes".
#pragma once

#include <string>
#include <string_view>

namespace dtrace::providers {

// Empty when the provider is not one DTrace has and Linux lacks.
std::string missingProviderReason(std::string_view provider);

} // namespace dtrace::providers
