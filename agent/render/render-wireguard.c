/* SPDX-License-Identifier: MIT */
/*
 * WireGuard: one wireguard/<tunnel>.conf per tunnel in `wg setconf` syntax, applied in place
 * (services/wireguard.h: peers that did not change keep their sessions). Mode 0600: the file
 * holds the private and preshared keys. On a VRRP pair the tunnel's packets carry a firewall
 * mark, by which keepalived's rules send them from the virtual addresses on the master and
 * nowhere on the backup (render-keepalived.c). The tunnel link's addresses and MTU are not
 * here: the plan engine sets them on the link.
 */
#include <string.h>

#include "intent/base64.h"
#include "render-internal.h"

static void append_key(struct strbuf *b, const char *name, const uint8_t key[BASE64_KEY_LEN])
{
	char k[BASE64_KEY_STRLEN + 1];

	base64_key_encode(key, k);
	strbuf_printf(b, "%s = %s\n", name, k);
	explicit_bzero(k, sizeof(k));
}

static void render_peer(struct strbuf *b, const struct wg_peer *p)
{
	bool v6 = p->endpoint.family == AF_INET6;
	char a[ADDR_STRLEN], pf[PREFIX_STRLEN];
	size_t i;

	strbuf_printf(b, "\n# %s\n[Peer]\n", p->name);
	append_key(b, "PublicKey", p->public_key);
	if (p->has & WG_PEER_HAS_PRESHARED_KEY)
		append_key(b, "PresharedKey", p->preshared_key);
	if (p->has & WG_PEER_HAS_ENDPOINT)
		strbuf_printf(b, "Endpoint = %s%s%s:%u\n", v6 ? "[" : "",
			      addr_format(&p->endpoint, a), v6 ? "]" : "", p->endpoint_port);
	if (p->n_allowed_ips) {
		strbuf_append(b, "AllowedIPs = ");
		for (i = 0; i < p->n_allowed_ips; i++)
			strbuf_printf(b, "%s%s", i ? ", " : "",
				      prefix_format(&p->allowed_ips[i], pf));
		strbuf_append(b, "\n");
	}
	if (p->has & WG_PEER_HAS_KEEPALIVE)
		strbuf_printf(b, "PersistentKeepalive = %u\n", p->keepalive_seconds);
}

static int render_tunnel(const struct intent *in, const struct wg_tunnel *t,
			 struct rendered *out)
{
	struct strbuf b = {0};
	size_t i;

	strbuf_append(&b, RENDER_HEADER);
	strbuf_append(&b, "[Interface]\n");
	append_key(&b, "PrivateKey", t->private_key);
	if (t->has & WG_HAS_LISTEN_PORT)
		strbuf_printf(&b, "ListenPort = %u\n", t->listen_port);
	/* On a VRRP pair keepalived routes the marked packets (render-keepalived.c). */
	if (in->vrrp.present && in->vrrp.n_groups)
		strbuf_printf(&b, "FwMark = %#x\n", RENDER_WG_FWMARK);
	for (i = 0; i < t->n_peers; i++)
		render_peer(&b, &t->peers[i]);
	return rendered_add(out, &b, 0600, "wireguard", CHANGE_RELOAD, t->ptr, "wireguard/%s.conf",
			    t->name);
}

int render_wireguard(const struct intent *in, struct rendered *out)
{
	size_t i;
	int r = 0;

	for (i = 0; r >= 0 && i < in->vpn.n_wireguard; i++)
		r = render_tunnel(in, &in->vpn.wireguard[i], out);
	return r;
}
