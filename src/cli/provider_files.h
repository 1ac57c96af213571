// dtrace -h and dtrace -G: the files an application with USDT providers is
// built with. The header gives each probe a macro that marks its site with
// a SystemTap-style note (owner "stapsdt"), which dtrace reads back from
// the running program, and an _ENABLED() test of the probe's semaphore;
// the object defines the semaphores, which the kernel counts up while a
// probe is traced.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dtrace::cli {

struct ProviderProbeSpec {
    std::string name;               // as declared: my__put
    std::vector<std::string> types; // C spellings of its parameters
};

struct ProviderSpec {
    std::string name;
    std::vector<ProviderProbeSpec> probes;
};

// The header for the providers; guard names the include guard (_PROV_H).
std::string providerHeader(const std::vector<ProviderSpec> &providers, const std::string &guard,
                           const std::string &source);

// Writes the relocatable object that defines the providers' semaphores;
// throws Error on failure.
void writeProviderObject(const std::vector<ProviderSpec> &providers, const std::string &path);

// Checks that the probe sites in the given objects belong to the
// providers' declared probes; throws Error if one does not.
void checkProbeSites(const std::vector<ProviderSpec> &providers,
                     const std::vector<std::string> &objects);

// A probe parameter's type as C spells it (D's string is a char *).
std::string cParameterType(const std::string &type);

// The semaphore's symbol: PROVIDER_NAME_semaphore.
std::string semaphoreSymbol(const std::string &provider, const std::string &probe);

} // namespace dtrace::cli
