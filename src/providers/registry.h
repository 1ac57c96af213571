// The providers dtrace has, in the order a description asks them for
// probes. Each is defined in a file of its own; adding one is its file and
// a line in registry.cpp.
#pragma once

#include "providers/provider.h"

#include <memory>
#include <vector>

namespace dtrace::providers {

std::vector<std::unique_ptr<Provider>> makeProviders();

std::unique_ptr<Provider> makeDtraceProvider();   // dtrace.cpp: BEGIN, END, ERROR
std::unique_ptr<Provider> makeProfileProvider();  // profile.cpp: profile-N, tick-N
std::unique_ptr<Provider> makePidProvider();      // pid.cpp: pidN:module:function:name
std::unique_ptr<Provider> makeUsdtProvider();     // usdt.cpp: PROVIDERpid:::name
std::unique_ptr<Provider> makeSyscallProvider();  // syscall.cpp
std::unique_ptr<Provider> makeSdtProvider();      // sdt.cpp: kernel tracepoints
std::unique_ptr<Provider> makeProcProvider();     // proc.cpp
std::unique_ptr<Provider> makeSchedProvider();    // sched.cpp
std::unique_ptr<Provider> makeIoProvider();       // io.cpp
std::unique_ptr<Provider> makeIpProvider();       // ip.cpp: packets (net tracepoints)
std::unique_ptr<Provider> makeTcpProvider();      // tcp.cpp: segments, connections
std::unique_ptr<Provider> makeUdpProvider();      // udp.cpp: datagrams
std::unique_ptr<Provider> makeLockstatProvider(); // lockstat.cpp: lock contention
std::unique_ptr<Provider> makeFbtProvider();      // fbt.cpp: kernel functions
std::unique_ptr<Provider> makeRawFbtProvider();   // rawfbt.cpp: kprobes on kernel functions
std::unique_ptr<Provider> makeRawtpProvider();    // rawtp.cpp: raw tracepoints

} // namespace dtrace::providers
