/* SPDX-License-Identifier: MIT */
/* The model's destructor and look-ups. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "sections.h"

void strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The reference counting of a shared section: type_ref() and type_unref(), which frees it with
 * destroy() at the last reference. */
#define DEFINE_SECTION_REF_UNREF(type, destroy)                                                    \
	struct type *type##_ref(struct type *s)                                                    \
	{                                                                                          \
		if (s)                                                                             \
			s->refs++;                                                                 \
		return s;                                                                          \
	}                                                                                          \
	struct type *type##_unref(struct type *s)                                                  \
	{                                                                                          \
		if (s && !--s->refs)                                                               \
			destroy(s);                                                                \
		return NULL;                                                                       \
	}

DEFINE_SECTION_REF_UNREF(routes, free_routes)
DEFINE_SECTION_REF_UNREF(firewall, free_firewall)
DEFINE_SECTION_REF_UNREF(nat, free_nat)
DEFINE_SECTION_REF_UNREF(dhcp, free_dhcp)

struct intent *intent_new(void)
{
	struct intent *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	in->routes = calloc(1, sizeof(*in->routes));
	in->firewall = calloc(1, sizeof(*in->firewall));
	in->nat = calloc(1, sizeof(*in->nat));
	in->dhcp = calloc(1, sizeof(*in->dhcp));
	if (!in->routes || !in->firewall || !in->nat || !in->dhcp)
		return intent_free(in);
	in->routes->refs = in->firewall->refs = in->nat->refs = in->dhcp->refs = 1;
	return in;
}

struct intent *intent_free(struct intent *in)
{
	if (!in)
		return NULL;
	free_interfaces(in);
	routes_unref(in->routes);
	firewall_unref(in->firewall);
	nat_unref(in->nat);
	dhcp_unref(in->dhcp);
	free_dns(in);
	free_vpn(in);
	free_vrrp(in);
	free(in->hostname);
	free(in);
	return NULL;
}

const struct iface *intent_iface(const struct intent *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->n_ifaces; i++)
		if (!strcmp(in->ifaces[i].name, name))
			return &in->ifaces[i];
	return NULL;
}

const struct fw_set *intent_fw_set(const struct intent *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->firewall->n_sets; i++)
		if (!strcmp(in->firewall->sets[i].name, name))
			return &in->firewall->sets[i];
	return NULL;
}

const struct wg_tunnel *intent_wg(const struct intent *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->vpn.n_wireguard; i++)
		if (!strcmp(in->vpn.wireguard[i].name, name))
			return &in->vpn.wireguard[i];
	return NULL;
}

const struct ipsec_tunnel *intent_ipsec(const struct intent *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->vpn.n_ipsec; i++)
		if (!strcmp(in->vpn.ipsec[i].name, name))
			return &in->vpn.ipsec[i];
	return NULL;
}

const struct dhcp_pool *intent_dhcp(const struct intent *in, const char *iface)
{
	size_t i;

	for (i = 0; i < in->dhcp->n; i++)
		if (!strcmp(in->dhcp->v[i].interface, iface))
			return &in->dhcp->v[i];
	return NULL;
}

bool intent_has_link(const struct intent *in, const char *name)
{
	return intent_iface(in, name) || intent_wg(in, name) || intent_ipsec(in, name);
}

static bool prefixes_have_addr(const struct ip_prefix *p, size_t n, const struct ip_addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr_equal(&p[i].addr, a))
			return true;
	return false;
}

bool intent_iface_owns_addr(const struct intent *in, const char *name, const struct ip_addr *a)
{
	const struct iface *ifc = intent_iface(in, name);
	const struct wg_tunnel *wg = intent_wg(in, name);
	size_t i;

	if (ifc && prefixes_have_addr(ifc->addrs, ifc->n_addrs, a))
		return true;
	if (wg && prefixes_have_addr(wg->addrs, wg->n_addrs, a))
		return true;
	for (i = 0; i < in->vrrp.n_groups; i++) {
		const struct vrrp_group *g = &in->vrrp.groups[i];

		if (!strcmp(g->interface, name) && prefixes_have_addr(g->vips, g->n_vips, a))
			return true;
	}
	return false;
}

static int owned_cmp(const void *x, const void *y)
{
	const struct owned_addr *a = x, *b = y;
	int c = addr_cmp(&a->a, &b->a);

	return c ? c : strcmp(a->name, b->name);
}

static void owned_add(struct owned_addrs *o, const char *name, const struct ip_prefix *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		o->v[o->n++] = (struct owned_addr){p[i].addr, name};
}

int intent_owned_addrs(const struct intent *in, struct owned_addrs *ret)
{
	struct owned_addrs o = {0};
	size_t i, n = 0;

	for (i = 0; i < in->n_ifaces; i++)
		n += in->ifaces[i].n_addrs;
	for (i = 0; i < in->vpn.n_wireguard; i++)
		n += in->vpn.wireguard[i].n_addrs;
	for (i = 0; i < in->vrrp.n_groups; i++)
		n += in->vrrp.groups[i].n_vips;
	o.v = malloc((n ? n : 1) * sizeof(*o.v));
	if (!o.v)
		return -ENOMEM;
	for (i = 0; i < in->n_ifaces; i++)
		owned_add(&o, in->ifaces[i].name, in->ifaces[i].addrs, in->ifaces[i].n_addrs);
	for (i = 0; i < in->vpn.n_wireguard; i++)
		owned_add(&o, in->vpn.wireguard[i].name, in->vpn.wireguard[i].addrs,
			  in->vpn.wireguard[i].n_addrs);
	for (i = 0; i < in->vrrp.n_groups; i++)
		owned_add(&o, in->vrrp.groups[i].interface, in->vrrp.groups[i].vips,
			  in->vrrp.groups[i].n_vips);
	qsort(o.v, o.n, sizeof(*o.v), owned_cmp);
	*ret = o;
	return 0;
}

bool owned_addrs_has(const struct owned_addrs *o, const char *name, const struct ip_addr *a)
{
	const struct owned_addr key = {*a, name};

	return o->n && bsearch(&key, o->v, o->n, sizeof(*o->v), owned_cmp);
}

void owned_addrs_done(struct owned_addrs *o)
{
	free(o->v);
	*o = (struct owned_addrs){0};
}

bool intent_is_vip(const struct intent *in, const struct ip_addr *a)
{
	size_t i;

	for (i = 0; i < in->vrrp.n_groups; i++)
		if (prefixes_have_addr(in->vrrp.groups[i].vips, in->vrrp.groups[i].n_vips, a))
			return true;
	return false;
}

bool intent_owns_addr(const struct intent *in, const struct ip_addr *a)
{
	size_t i;

	for (i = 0; i < in->n_ifaces; i++)
		if (intent_iface_owns_addr(in, in->ifaces[i].name, a))
			return true;
	for (i = 0; i < in->vpn.n_wireguard; i++)
		if (intent_iface_owns_addr(in, in->vpn.wireguard[i].name, a))
			return true;
	return false;
}
