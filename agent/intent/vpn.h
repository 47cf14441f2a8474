/* SPDX-License-Identifier: MIT */
/*
 * The vpn section's own interface, between parse-vpn.c (the section, tunnel names,
 * destructor), parse-ipsec.c and parse-wireguard.c. Not for other sections: they see the
 * tunnels through sections.h and intent.h.
 */
#pragma once

#include "intent.h"
#include "lib/errlist.h"
#include "lib/jread.h"

/* One tunnel of a map, its pointer pushed on r: fills t (name, ptr, defaults, fields). */
void parse_ipsec(struct jr *r, const char *name, const struct json_t *v, struct ipsec_tunnel *t);
void parse_wireguard(struct jr *r, const char *name, const struct json_t *v, struct wg_tunnel *t);

/* Cross-field rules of each kind of tunnel (run after the whole document parsed). */
void check_ipsec(const struct intent *in, struct errlist *errs);
void check_wireguard(const struct intent *in, struct errlist *errs);
