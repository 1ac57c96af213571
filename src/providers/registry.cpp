#include "providers/registry.h"

namespace dtrace::providers {

std::vector<std::unique_ptr<Provider>> makeProviders() {
    std::vector<std::unique_ptr<Provider>> all;
    all.push_back(makeDtraceProvider());
    all.push_back(makeProfileProvider());
    all.push_back(makePidProvider());
    all.push_back(makeUsdtProvider());
    all.push_back(makeSyscallProvider());
    all.push_back(makeSdtProvider());
    all.push_back(makeProcProvider());
    all.push_back(makeSchedProvider());
    all.push_back(makeIoProvider());
    all.push_back(makeIpProvider());
    all.push_back(makeTcpProvider());
    all.push_back(makeUdpProvider());
    all.push_back(makeLockstatProvider());
    all.push_back(makeFbtProvider());
    all.push_back(makeRawFbtProvider());
    all.push_back(makeRawtpProvider());
    return all;
}

} // namespace dtrace::providers
