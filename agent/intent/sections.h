/* SPDX-License-Identifier: MIT */
/*
 * One parser and one checker per section (parse-<section>.c). A parser is called with the
 * section's JSON value, its pointer pushed on r; it fills its part of the model and reports
 * structural errors. A checker runs only when the whole document parsed cleanly; it reports
 * references and cross-field rules, using the elements' stored pointers.
 */
#pragma once

#include "intent.h"
#include "lib/errlist.h"
#include "lib/jread.h"

void parse_interfaces(struct jr *r, const struct json_t *v, struct intent *in);
void parse_routes(struct jr *r, const struct json_t *v, struct intent *in);
void parse_firewall(struct jr *r, const struct json_t *v, struct intent *in);
void parse_nat(struct jr *r, const struct json_t *v, struct intent *in);
void parse_dhcp(struct jr *r, const struct json_t *v, struct intent *in);
void parse_dns(struct jr *r, const struct json_t *v, struct intent *in);
void parse_vpn(struct jr *r, const struct json_t *v, struct intent *in);
void parse_vrrp(struct jr *r, const struct json_t *v, struct intent *in);

void check_interfaces(const struct intent *in, struct errlist *errs);
void check_routes(const struct intent *in, struct errlist *errs);
void check_firewall(const struct intent *in, struct errlist *errs);
void check_nat(const struct intent *in, struct errlist *errs);
void check_dhcp(const struct intent *in, struct errlist *errs);
void check_dns(const struct intent *in, struct errlist *errs);
void check_vpn(const struct intent *in, struct errlist *errs);
void check_vrrp(const struct intent *in, struct errlist *errs);

/* An intent with its shared sections allocated and empty (one reference each), or NULL. */
struct intent *intent_new(void);

/* Each section frees its part of the model (called by intent_free); a shared section frees
 * itself too (called at its last reference). */
void free_interfaces(struct intent *in);
void free_routes(struct routes *s);
void free_firewall(struct firewall *fw);
void free_nat(struct nat *nat);
void free_dhcp(struct dhcp *s);
void free_dns(struct intent *in);
void free_vpn(struct intent *in);
void free_vrrp(struct intent *in);

/* Frees an array of n strings and the array. */
void strv_free(char **v, size_t n);

/* Whether addr is an address of interface `name`: one of its addresses, or a VRRP virtual
 * address of a group on it. */
bool intent_iface_owns_addr(const struct intent *in, const char *name, const struct ip_addr *a);

/* Whether addr is an address of the router (any interface, tunnel or VRRP group). */
bool intent_owns_addr(const struct intent *in, const struct ip_addr *a);
/* Whether a is a virtual address of a VRRP group: present on the master only. */
bool intent_is_vip(const struct intent *in, const struct ip_addr *a);
