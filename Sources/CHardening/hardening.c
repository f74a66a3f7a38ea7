#include "CHardening.h"
#include <malloc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

int resguardo_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

// glibc fills freed bytes with the low byte of the value, and fresh allocations with its
// complement, whenever the value is non-zero: 0x100 gives zeros on free.
int resguardo_wipe_freed_memory(void) { return mallopt(M_PERTURB, 0x100) == 1 ? 0 : -1; }

// With a finite RLIMIT_MEMLOCK (and no CAP_IPC_LOCK), MCL_FUTURE would make later allocations
// fail once the limit is reached: lock only when nothing limits it.
int resguardo_lock_memory(void) {
    struct rlimit limit;
    if (geteuid() != 0 && (getrlimit(RLIMIT_MEMLOCK, &limit) != 0 || limit.rlim_cur != RLIM_INFINITY)) return -1;
    return mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT);
}
