#ifndef AP_CANCEL_H
#define AP_CANCEL_H

// A flag that stops blocking C work from another thread: libvips
// computations (through their "eval" signal and kill flag) and FFmpeg reads
// (through the interrupt callback). A thread makes a flag its current one
// for the span of some work; libvips images and FFmpeg files opened on that
// thread meanwhile watch it. Reference counted, because libvips may keep an
// image (and so the flag it watches) alive in its operation cache after the
// work is over.

typedef struct ap_cancel ap_cancel;

/// A new flag, not set, with one reference.
ap_cancel *ap_cancel_new(void);
void ap_cancel_ref(ap_cancel *cancel);
void ap_cancel_unref(ap_cancel *cancel);

/// Sets the flag: watched work stops at its next check. Thread-safe.
void ap_cancel_set(ap_cancel *cancel);
int ap_cancel_is_set(const ap_cancel *cancel);

/// The calling thread's current flag (NULL: none); the thread keeps no
/// reference of its own, so the caller keeps `cancel` alive while it is current.
void ap_cancel_set_current(ap_cancel *cancel);
ap_cancel *ap_cancel_current(void);

/// Whether the calling thread's current flag is set.
int ap_cancel_current_is_set(void);

#endif
