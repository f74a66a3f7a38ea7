// Process-level protections that Swift cannot reach directly (prctl is variadic; mallopt and
// mlockall flags live in headers Swift's Glibc module does not import). Each returns 0 on success.
#ifndef RESGUARDO_CHARDENING_H
#define RESGUARDO_CHARDENING_H

// No core file, no ptrace or /proc/PID/mem access by other processes of the same user.
int resguardo_set_not_dumpable(void);
// glibc's allocator overwrites freed memory with zeros (M_PERTURB with a zero low byte).
int resguardo_wipe_freed_memory(void);
// Keeps every page of the process out of swap as it is touched (MCL_ONFAULT: nothing populated
// in advance). Refused (-1) when a finite RLIMIT_MEMLOCK would make later allocations fail.
int resguardo_lock_memory(void);

#endif
