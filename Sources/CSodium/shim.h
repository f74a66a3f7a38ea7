#ifndef RESGUARDO_CSODIUM_SHIM_H
#define RESGUARDO_CSODIUM_SHIM_H
#include <sodium.h>
#endif
