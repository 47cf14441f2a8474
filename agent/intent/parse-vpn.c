/* SPDX-License-Identifier: MIT */
/* "vpn": IPsec tunnels (strongSwan, pre-shared keys) and WireGuard tunnels. The section: its
 * two maps, the tunnel names (links, one namespace with the interfaces) and the destructor;
 * parse-ipsec.c and parse-wireguard.c read and check the tunnels. */
#include <stdlib.h>
#include <string.h>

#include "read.h"
#include "sections.h"
#include "vpn.h"

static const char *const vpn_keys[] = {"ipsec", "wireguard", NULL};

static void parse_ipsec_map(struct jr *r, const struct json_t *v, struct vpn *vpn)
{
	const struct json_t *val;
	const char *key;

	if (!jr_map(r, v, LIMIT_LIST))
		return;
	vpn->ipsec = calloc(jr_size(v) ? jr_size(v) : 1, sizeof(*vpn->ipsec));
	if (!vpn->ipsec) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);

		if (check_map_name(r, key))
			parse_ipsec(r, key, val, &vpn->ipsec[vpn->n_ipsec++]);
		jr_pop(r, mark);
	}
}

static void parse_wireguard_map(struct jr *r, const struct json_t *v, struct vpn *vpn)
{
	const struct json_t *val;
	const char *key;

	if (!jr_map(r, v, LIMIT_LIST))
		return;
	vpn->wireguard = calloc(jr_size(v) ? jr_size(v) : 1, sizeof(*vpn->wireguard));
	if (!vpn->wireguard) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);

		if (check_map_name(r, key))
			parse_wireguard(r, key, val, &vpn->wireguard[vpn->n_wireguard++]);
		jr_pop(r, mark);
	}
}

void parse_vpn(struct jr *r, const struct json_t *v, struct intent *in)
{
	const struct json_t *m;
	size_t mark;

	in->vpn.present = true;
	if (!jr_object(r, v, vpn_keys))
		return;
	m = jr_member(v, "ipsec");
	if (m) {
		mark = jr_push_key(r, "ipsec");
		parse_ipsec_map(r, m, &in->vpn);
		jr_pop(r, mark);
	}
	m = jr_member(v, "wireguard");
	if (m) {
		mark = jr_push_key(r, "wireguard");
		parse_wireguard_map(r, m, &in->vpn);
		jr_pop(r, mark);
	}
}

/* ---- cross-field checks ---- */

/* Tunnels are links: their names share one namespace with the interfaces. */
static void check_link_names(const struct intent *in, struct errlist *errs)
{
	size_t i;

	for (i = 0; i < in->vpn.n_ipsec; i++) {
		const struct ipsec_tunnel *t = &in->vpn.ipsec[i];

		if (intent_iface(in, t->name))
			errlist_add_member(errs, t->ptr, NULL, -1, "name \"%s\" is already an interface",
					   t->name);
	}
	for (i = 0; i < in->vpn.n_wireguard; i++) {
		const struct wg_tunnel *t = &in->vpn.wireguard[i];

		if (intent_iface(in, t->name))
			errlist_add_member(errs, t->ptr, NULL, -1, "name \"%s\" is already an interface",
					   t->name);
		else if (intent_ipsec(in, t->name))
			errlist_add_member(errs, t->ptr, NULL, -1, "name \"%s\" is already an IPsec tunnel",
					   t->name);
	}
}

void check_vpn(const struct intent *in, struct errlist *errs)
{
	check_link_names(in, errs);
	check_ipsec(in, errs);
	check_wireguard(in, errs);
}

void free_vpn(struct intent *in)
{
	size_t i, j;

	for (i = 0; i < in->vpn.n_ipsec; i++) {
		struct ipsec_tunnel *t = &in->vpn.ipsec[i];

		free(t->name);
		free(t->ptr);
		if (t->psk) {
			explicit_bzero(t->psk, strlen(t->psk));
			free(t->psk);
		}
		free(t->local_id);
		free(t->remote_id);
		free(t->local_subnets);
		free(t->remote_subnets);
		strv_free(t->ike_proposals, t->n_ike_proposals);
		strv_free(t->esp_proposals, t->n_esp_proposals);
	}
	free(in->vpn.ipsec);
	for (i = 0; i < in->vpn.n_wireguard; i++) {
		struct wg_tunnel *t = &in->vpn.wireguard[i];

		free(t->name);
		free(t->ptr);
		free(t->addrs);
		for (j = 0; j < t->n_peers; j++) {
			free(t->peers[j].name);
			free(t->peers[j].ptr);
			free(t->peers[j].allowed_ips);
		}
		if (t->peers)
			explicit_bzero(t->peers, t->n_peers * sizeof(*t->peers));
		free(t->peers);
	}
	if (in->vpn.wireguard)
		explicit_bzero(in->vpn.wireguard,
			       in->vpn.n_wireguard * sizeof(*in->vpn.wireguard));
	free(in->vpn.wireguard);
	in->vpn = (struct vpn){0};
}
