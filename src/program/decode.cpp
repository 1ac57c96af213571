#include "program/decode.h"

namespace dtrace::program {

LlquantizeLayout llquantizeLayout(const std::vector<int64_t> &params) {
    LlquantizeLayout l;
    if (params.size() < 4 || params[0] < 2) return l;
    const __int128 factor = params[0], steps = std::max<int64_t>(1, params[3]);
    const __int128 limit = INT64_MAX;
    __int128 power = 1; // factor^m
    for (int64_t m = 0; m < params[1] && power <= limit; ++m) power *= factor;
    l.zeroLimit = static_cast<int64_t>(std::min(power, limit));
    for (int64_t m = params[1]; m <= params[2] && power <= limit; ++m) {
        __int128 next = power * factor; // this order's end
        __int128 nb = std::min(next, steps);
        for (__int128 k = nb / factor; k < nb; ++k) {
            __int128 bound = std::max(power, (k * next + nb - 1) / nb);
            if (bound > limit) break;
            if (l.lower.empty() || l.lower.back() < bound)
                l.lower.push_back(static_cast<int64_t>(bound));
        }
        power = next;
    }
    l.overflow = static_cast<int64_t>(std::min(power, limit));
    return l;
}

} // namespace dtrace::program
