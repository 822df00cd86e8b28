#include "ap_cancel.h"

#include <stdatomic.h>
#include <stdlib.h>

struct ap_cancel {
    atomic_int references;
    atomic_int set;
};

static _Thread_local ap_cancel *ap_current_cancel = NULL;

ap_cancel *ap_cancel_new(void) {
    ap_cancel *cancel = calloc(1, sizeof(ap_cancel));
    if (cancel) atomic_init(&cancel->references, 1);
    return cancel;
}

void ap_cancel_ref(ap_cancel *cancel) {
    if (cancel) atomic_fetch_add(&cancel->references, 1);
}

void ap_cancel_unref(ap_cancel *cancel) {
    if (cancel && atomic_fetch_sub(&cancel->references, 1) == 1) free(cancel);
}

void ap_cancel_set(ap_cancel *cancel) {
    if (cancel) atomic_store(&cancel->set, 1);
}

int ap_cancel_is_set(const ap_cancel *cancel) {
    return cancel ? atomic_load(&((ap_cancel *) cancel)->set) : 0;
}

void ap_cancel_set_current(ap_cancel *cancel) {
    ap_current_cancel = cancel;
}

ap_cancel *ap_cancel_current(void) {
    return ap_current_cancel;
}

int ap_cancel_current_is_set(void) {
    return ap_cancel_is_set(ap_current_cancel);
}
