/* lock.h: the engine-wide lock that serialises reconcilers from different pipelines.
 *
 * The lock is a network with a fixed name, labelled with its holder and an expiry. The engine does not
 * keep network names unique under concurrent creates, so the oldest such network holds the lock. A
 * lock whose holder is gone (expired, or on this machine a dead process) is taken over, with a
 * warning. While a process holds a lock, a thread renews it every third of its lifetime, so a long
 * run is never taken for a dead one: it makes a new network with a later expiry, then removes its
 * older ones (the older one holds the lock in between, and it is the same holder's). */
#pragma once

#include "../engine/engine.h"

/* Takes the lock for holder (waiting up to wait_s) and renews it until reconcile_unlock(). */
int reconcile_lock(EngineClient *c, const char *holder, long wait_s, long ttl_s,
                   void (*warn)(void *ud, const char *msg), void *ud, BerthError *err);
/* Stops the renewal and removes the holder's lock; an error when the engine keeps it. */
int reconcile_unlock(EngineClient *c, const char *holder, BerthError *err);
