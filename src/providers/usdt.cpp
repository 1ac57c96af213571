// The USDT provider: the statically defined probes of a process's
// objects, from their stapsdt notes or their DOF (usdt_notes.h, dof.h), as
// PROVIDERpid:module:function:name; a provider glob (myprov*:::) names
// those of every process with a matching provider. Each a uprobe on its
// site, with its arguments where the note says, its semaphore counted by
// the kernel, its DTrace-style is-enabled sites patched while traced.
#include "providers/catalog.h"
#include "providers/elf_image.h"
#include "providers/registry.h"
#include "providers/uprobe_provider.h"
#include "providers/usdt_notes.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <map>
#include <set>

namespace dtrace::providers {

namespace {

class UsdtProvider final : public UprobeProvider {
  public:
    std::string_view name() const override { return "usdt"; }

    void provide(const ProbeDescription &d, ProbeCatalog &catalog) override {
        if (hasGlob(d.provider) && !d.provider.starts_with("pid")) {
            provideAllProcesses(d, catalog);
            return;
        }
        size_t digits = d.provider.find_last_not_of("0123456789") + 1;
        if (digits == 0 || digits == d.provider.size()) return;
        std::string prefix = d.provider.substr(0, digits);
        // pidN is the pid provider's; profile-97 and tick-1s are not processes.
        if (prefix == "pid" || prefix.back() == '-' || prefix.back() == '\\') return;
        int pid = std::atoi(d.provider.c_str() + digits);
        if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) return;
        addProbes(usdtProbes(pid, prefix, d, objectsOf(pid, d.module, catalog)), catalog);
    }

  private:
    // A provider glob (myprov*:::): the USDT probes of every process whose
    // provider, with its pid, it matches. Each file's providers are read
    // once (by device and inode: each process names it through its own
    // root), and only the objects with a matching provider are read in
    // full.
    void provideAllProcesses(const ProbeDescription &d, ProbeCatalog &catalog) {
        if (d.provider.find_first_of("*?[\\") == 0) return; // "*:::x" would read every process
        if (!globsScanned_.insert(d.text()).second) return;
        DIR *proc = opendir("/proc");
        if (!proc) return;
        const int self = getpid();
        while (dirent *ent = readdir(proc)) {
            int pid = std::atoi(ent->d_name);
            if (pid <= 0 || pid == self) continue;
            std::vector<ProcessObject> objects;
            for (ProcessObject &obj : mappedObjectsOf(pid, catalog)) {
                struct stat st;
                if (!moduleMatches(d.module, obj) || stat(obj.path.c_str(), &st) != 0) continue;
                auto key = std::make_pair(static_cast<uint64_t>(st.st_dev),
                                          static_cast<uint64_t>(st.st_ino));
                auto known = providersOf_.find(key);
                if (known == providersOf_.end())
                    known = providersOf_.emplace(key, usdtProviderNames(readUsdtSections(obj.path)))
                                .first;
                bool wanted = false;
                for (const std::string &name : known->second)
                    wanted = wanted || globMatch(d.provider, name + std::to_string(pid));
                if (wanted) objects.push_back(std::move(obj));
            }
            if (objects.empty()) continue;
            auto probes = usdtProbes(pid, "", d, objects);
            std::erase_if(probes,
                          [&](const Probe &p) { return !globMatch(d.provider, p.provider); });
            addProbes(std::move(probes), catalog);
        }
        closedir(proc);
    }

    std::set<std::string> globsScanned_;
    std::map<std::pair<uint64_t, uint64_t>, std::set<std::string>> providersOf_;
};

} // namespace

std::unique_ptr<Provider> makeUsdtProvider() {
    return std::make_unique<UsdtProvider>();
}

} // namespace dtrace::providers
