#include "cli/dtrace.h"

int main(int argc, char **argv) {
    return dtrace::cli::run(argc, argv);
}
