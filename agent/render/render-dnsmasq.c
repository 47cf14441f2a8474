/* SPDX-License-Identifier: MIT */
/*
 * dnsmasq: DNS resolver, DHCPv4, DHCPv6 and router advertisements.
 *
 * dnsmasq/vrouter.conf   the daemon's configuration (restart when it changes)
 * dnsmasq/hosts/<i>      the DHCP reservations of pool <i>, in a dhcp-hostsfile directory
 * dnsmasq/dns/<i>        their names, in an addn-hosts directory
 * dnsmasq/records/all    the DNS records, in an addn-hosts directory
 *
 * dnsmasq reads these directories at start and again on SIGHUP (without a restart; leases
 * kept), so that adding, changing or removing a reservation or a record is a SIGHUP, never a
 * restart. Not the watched dhcp-hostsdir and hostsdir: a watched directory only ever adds
 * entries, and a reservation changed or removed needs the SIGHUP anyway. One file per pool,
 * not per host: a SIGHUP re-reads every file, and a few large files read much faster than
 * one per host.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "render-internal.h"

/* The interfaces the resolver answers on: dns.listen, by default every DHCP interface (also
 * when there is no "dns" section at all). ret is NULL for the default: read in->dhcp->v. */
static void dns_listen(const struct intent *in, char *const **ret, size_t *ret_n, bool *from_dhcp)
{
	*from_dhcp = !(in->dns.has & DNS_HAS_LISTEN);
	*ret = in->dns.listen;
	*ret_n = in->dns.n_listen;
	if (*from_dhcp) {
		*ret = NULL;
		*ret_n = in->dhcp->n;
	}
}

static const char *dns_listen_name(const struct intent *in, char *const *listen, size_t i)
{
	return listen ? listen[i] : in->dhcp->v[i].interface;
}

static void netmask4(unsigned len, char buf[16])
{
	uint32_t m = len ? ~UINT32_C(0) << (32 - len) : 0;

	snprintf(buf, 16, "%u.%u.%u.%u", m >> 24, (m >> 16) & 0xff, (m >> 8) & 0xff, m & 0xff);
}

/* The network of the interface that holds a (its prefix length), or NULL. */
static const struct ip_prefix *iface_network(const struct intent *in, const char *iface,
					     const struct ip_addr *a)
{
	const struct iface *ifc = intent_iface(in, iface);
	size_t i;

	for (i = 0; ifc && i < ifc->n_addrs; i++)
		if (!render_addr_is_link_local(&ifc->addrs[i].addr) &&
		    prefix_contains(&ifc->addrs[i], a))
			return &ifc->addrs[i];
	return NULL;
}

/* ",a,b,c" for the addresses of one family; IPv6 ones in brackets. Returns how many. */
static size_t append_addrs(struct strbuf *b, const struct ip_addr *v, size_t n, int family)
{
	char buf[ADDR_STRLEN];
	size_t i, count = 0;

	for (i = 0; i < n; i++) {
		if (v[i].family != family)
			continue;
		addr_format(&v[i], buf);
		strbuf_printf(b, family == AF_INET6 ? ",[%s]" : ",%s", buf);
		count++;
	}
	return count;
}

static bool pool_serves_v4(const struct dhcp_pool *pool)
{
	size_t i;

	if (pool->n_ranges || pool->has & DHCP_HAS_ROUTER || pool->n_static_routes)
		return true;
	for (i = 0; i < pool->n_hosts; i++)
		if (pool->hosts[i].has & DHCP_HOST_HAS_V4)
			return true;
	return false;
}

/* The router option's address: "router", else this router's own (virtual) address. */
static const struct ip_addr *pool_router(const struct intent *in, const struct dhcp_pool *pool)
{
	if (pool->has & DHCP_HAS_ROUTER && pool->router.family == AF_INET)
		return &pool->router;
	return render_router_addr(in, pool->interface, AF_INET);
}

static void render_ranges4(struct strbuf *b, const struct intent *in, const struct dhcp_pool *pool)
{
	const char *tag = pool->interface;
	char s[ADDR_STRLEN], e[ADDR_STRLEN], mask[16];
	const struct ip_prefix *net;
	size_t i;

	for (i = 0; i < pool->n_ranges; i++) {
		const struct addr_range *rg = &pool->ranges[i];

		strbuf_printf(b, "dhcp-range=set:%s,%s,%s", tag, addr_format(&rg->start, s),
			      addr_format(&rg->end, e));
		net = iface_network(in, pool->interface, &rg->start);
		if (net) {
			netmask4(net->len, mask);
			strbuf_printf(b, ",%s", mask);
		}
		strbuf_printf(b, ",%u\n", pool->lease_seconds);
	}
	if (pool->n_ranges)
		return;
	/* Reservations only: a static range over the interface's network lets dnsmasq answer
	 * the reserved hosts and no one else. */
	net = render_iface_addr(in, pool->interface, AF_INET);
	for (i = 0; i < pool->n_hosts; i++)
		if (pool->hosts[i].has & DHCP_HOST_HAS_V4) {
			const struct ip_prefix *n = iface_network(in, pool->interface,
								  &pool->hosts[i].v4);

			if (n)
				net = n;
			break;
		}
	if (net) {
		struct ip_prefix nw = prefix_network(net);

		netmask4(net->len, mask);
		strbuf_printf(b, "dhcp-range=set:%s,%s,static,%s,%u\n", tag,
			      addr_format(&nw.addr, s), mask, pool->lease_seconds);
	}
}

static void render_static_routes(struct strbuf *b, const struct dhcp_pool *pool,
				 const struct ip_addr *router)
{
	char p[PREFIX_STRLEN], a[ADDR_STRLEN];
	struct strbuf routes = {0};
	bool has_default = false;
	size_t i;

	for (i = 0; i < pool->n_static_routes; i++) {
		const struct dhcp_static_route *rt = &pool->static_routes[i];

		if (rt->to.addr.family != AF_INET)
			continue;
		if (rt->to.len == 0)
			has_default = true;
		strbuf_printf(&routes, ",%s,%s", prefix_format(&rt->to, p),
			      addr_format(&rt->via, a));
	}
	if (routes.len) {
		/* A client that gets classless routes ignores the router option (RFC 3442):
		 * keep the default route in the list. */
		if (!has_default && router)
			strbuf_printf(&routes, ",0.0.0.0/0,%s", addr_format(router, a));
		strbuf_printf(b, "dhcp-option=tag:%s,option:classless-static-route%s\n",
			      pool->interface, strbuf_str(&routes));
		/* The same under the pre-standard number that older Windows clients ask for. */
		strbuf_printf(b, "dhcp-option=tag:%s,249%s\n", pool->interface,
			      strbuf_str(&routes));
	}
	if (routes.oom)
		b->oom = true;
	strbuf_done(&routes);
}

static void render_pool_v4(struct strbuf *b, const struct intent *in, const struct dhcp_pool *pool)
{
	const char *tag = pool->interface;
	const struct ip_addr *router = pool_router(in, pool), *self;
	const struct ip_prefix *net;
	char a[ADDR_STRLEN];

	render_ranges4(b, in, pool);
	if (router)
		strbuf_printf(b, "dhcp-option=tag:%s,option:router,%s\n", tag,
			      addr_format(router, a));
	if (pool->has & DHCP_HAS_DNS_SERVERS) {
		strbuf_printf(b, "dhcp-option=tag:%s,option:dns-server", tag);
		append_addrs(b, pool->dns_servers, pool->n_dns_servers, AF_INET);
		strbuf_append(b, "\n");
	} else {
		self = render_router_addr(in, pool->interface, AF_INET);
		if (self)
			strbuf_printf(b, "dhcp-option=tag:%s,option:dns-server,%s\n", tag,
				      addr_format(self, a));
	}
	if (pool->has & DHCP_HAS_DOMAIN) {
		strbuf_printf(b, "dhcp-option=tag:%s,option:domain-name,%s\n", tag, pool->domain);
		/* Clients' own names on this network answer as NAME.domain too. */
		net = render_iface_addr(in, pool->interface, AF_INET);
		if (net) {
			struct ip_prefix nw = prefix_network(net);
			char p[PREFIX_STRLEN];

			strbuf_printf(b, "domain=%s,%s\n", pool->domain, prefix_format(&nw, p));
		}
	}
	if (pool->has & DHCP_HAS_NTP_SERVERS) {
		struct strbuf ntp = {0};

		if (append_addrs(&ntp, pool->ntp_servers, pool->n_ntp_servers, AF_INET))
			strbuf_printf(b, "dhcp-option=tag:%s,option:ntp-server%s\n", tag,
				      strbuf_str(&ntp));
		if (ntp.oom)
			b->oom = true;
		strbuf_done(&ntp);
	}
	if (pool->has & DHCP_HAS_MTU)
		strbuf_printf(b, "dhcp-option=tag:%s,option:mtu,%u\n", tag, pool->mtu);
	render_static_routes(b, pool, router);
}

static void render_pool_v6(struct strbuf *b, const struct intent *in, const struct dhcp_pool *pool)
{
	const char *tag = pool->interface;
	char s[ADDR_STRLEN], e[ADDR_STRLEN];
	const struct ip_prefix *vip;
	size_t i;

	switch (pool->ipv6_mode) {
	case DHCP6_SLAAC:
		strbuf_printf(b, "dhcp-range=set:%s,::,constructor:%s,ra-only\n", tag, tag);
		break;
	case DHCP6_STATELESS:
		strbuf_printf(b, "dhcp-range=set:%s,::,constructor:%s,ra-stateless\n", tag, tag);
		break;
	case DHCP6_STATEFUL:
	case _DHCP6_MODE_MAX:
		for (i = 0; i < pool->n_ipv6_ranges; i++) {
			const struct addr_range *rg = &pool->ipv6_ranges[i];
			const struct ip_prefix *net =
				iface_network(in, pool->interface, &rg->start);

			strbuf_printf(b, "dhcp-range=set:%s,%s,%s,%u,%u\n", tag,
				      addr_format(&rg->start, s), addr_format(&rg->end, e),
				      net ? net->len : 64, pool->lease_seconds);
		}
		break;
	}
	if (pool->has & DHCP_HAS_DNS_SERVERS) {
		strbuf_printf(b, "dhcp-option=tag:%s,option6:dns-server", tag);
		append_addrs(b, pool->dns_servers, pool->n_dns_servers, AF_INET6);
		strbuf_append(b, "\n");
	} else {
		/* dnsmasq announces its own address by default; with VRRP, the virtual one. */
		vip = render_vip(in, pool->interface, AF_INET6);
		if (vip)
			strbuf_printf(b, "dhcp-option=tag:%s,option6:dns-server,[%s]\n", tag,
				      addr_format(&vip->addr, s));
	}
	if (pool->has & DHCP_HAS_DOMAIN)
		strbuf_printf(b, "dhcp-option=tag:%s,option6:domain-search,%s\n", tag,
			      pool->domain);
	if (pool->has & DHCP_HAS_NTP_SERVERS) {
		struct strbuf ntp = {0};

		if (append_addrs(&ntp, pool->ntp_servers, pool->n_ntp_servers, AF_INET6))
			strbuf_printf(b, "dhcp-option=tag:%s,option6:ntp-server%s\n", tag,
				      strbuf_str(&ntp));
		if (ntp.oom)
			b->oom = true;
		strbuf_done(&ntp);
	}
}

static bool zone_exists(const struct intent *in, const char *domain)
{
	size_t i;

	for (i = 0; i < in->dns.n_zones; i++)
		if (!strcmp(in->dns.zones[i].domain, domain))
			return true;
	return false;
}

static void render_dns(struct strbuf *b, const struct intent *in, const char *confdir)
{
	char a[ADDR_STRLEN];
	size_t i, j;

	strbuf_printf(b, "cache-size=%u\n", in->dns.present ? in->dns.cache_size : 10000);
	for (i = 0; i < in->dns.n_forwarders; i++)
		strbuf_printf(b, "server=%s\n", addr_format(&in->dns.forwarders[i], a));
	for (i = 0; i < in->dns.n_zones; i++) {
		const struct dns_zone *z = &in->dns.zones[i];

		for (j = 0; j < z->n_servers; j++)
			strbuf_printf(b, "server=/%s/%s\n", z->domain,
				      addr_format(&z->servers[j], a));
	}
	/* The pools' domains are answered here and never forwarded, unless a zone says
	 * where they live. */
	for (i = 0; i < in->dhcp->n; i++) {
		const struct dhcp_pool *pool = &in->dhcp->v[i];
		bool seen = false;

		if (!(pool->has & DHCP_HAS_DOMAIN) || zone_exists(in, pool->domain))
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = in->dhcp->v[j].has & DHCP_HAS_DOMAIN &&
			       !strcmp(in->dhcp->v[j].domain, pool->domain);
		if (!seen)
			strbuf_printf(b, "local=/%s/\n", pool->domain);
	}
	/* Always there (the services backend makes the directories): the first record or
	 * reservation is then a SIGHUP, not a restart. */
	strbuf_printf(b, "addn-hosts=%s/dnsmasq/dns\n", confdir);
	strbuf_printf(b, "addn-hosts=%s/dnsmasq/records\n", confdir);
}

static int render_main(const struct intent *in, const char *confdir, bool dns_on,
		       struct rendered *out)
{
	struct strbuf b = {0};
	char *const *listen;
	bool from_dhcp, ra = false;
	size_t i, j, n;

	strbuf_append(&b, RENDER_HEADER);
	strbuf_append(&b, "no-resolv\nno-hosts\nbind-dynamic\n");
	/* The pid file and the leases (in the state directory) are on the command line that
	 * the services backend runs it with (agent/services/svc-dnsmasq.c). */
	dns_listen(in, &listen, &n, &from_dhcp);
	for (i = 0; i < n; i++)
		strbuf_printf(&b, "interface=%s\n", dns_listen_name(in, listen, i));
	/* dnsmasq serves DHCP only on the interfaces it listens on. */
	for (i = 0; !from_dhcp && i < in->dhcp->n; i++) {
		bool listed = false;

		for (j = 0; j < n && !listed; j++)
			listed = !strcmp(listen[j], in->dhcp->v[i].interface);
		if (!listed)
			strbuf_printf(&b, "interface=%s\n", in->dhcp->v[i].interface);
	}
	if (dns_on)
		render_dns(&b, in, confdir);
	else
		strbuf_append(&b, "port=0\n");
	if (in->dhcp->n) {
		strbuf_append(&b, "dhcp-authoritative\n");
		if (in->vrrp.present)
			strbuf_append(&b, "dhcp-hostsfile=" RENDER_DHCP_STANDBY_DIR "\n");
		strbuf_printf(&b, "dhcp-hostsfile=%s/dnsmasq/hosts\n", confdir);
	}
	for (i = 0; i < in->dhcp->n; i++)
		ra = ra || in->dhcp->v[i].has & DHCP_HAS_IPV6;
	if (ra)
		strbuf_append(&b, "enable-ra\n");
	for (i = 0; i < in->dhcp->n; i++) {
		const struct dhcp_pool *pool = &in->dhcp->v[i];

		strbuf_printf(&b, "\n# %s\n", pool->interface);
		if (pool_serves_v4(pool))
			render_pool_v4(&b, in, pool);
		if (pool->has & DHCP_HAS_IPV6)
			render_pool_v6(&b, in, pool);
	}
	/* The file serves the pools first; without any, the resolver. */
	return rendered_add(out, &b, 0644, "dnsmasq", CHANGE_RESTART,
			    in->dhcp->n || !in->dns.ptr ? "/dhcp" : in->dns.ptr,
			    "dnsmasq/vrouter.conf");
}

/* hosts(5) syntax: the fully qualified name first, so that reverse look-ups give it. */
static void append_hosts_line(struct strbuf *b, const struct ip_addr *addr,
			      const struct dhcp_pool *pool, const struct dhcp_host *h)
{
	char a[ADDR_STRLEN];

	strbuf_append(b, addr_format(addr, a));
	strbuf_append(b, " ");
	if (pool->has & DHCP_HAS_DOMAIN) {
		strbuf_append(b, h->name);
		strbuf_append(b, ".");
		strbuf_append(b, pool->domain);
		strbuf_append(b, " ");
	}
	strbuf_append(b, h->name);
	strbuf_append(b, "\n");
}

/* dhcp-host syntax: MAC, IPv4, [IPv6], host name. No set:TAG: the pool's range tags the
 * client already, and dnsmasq 2.90 frees a host line's tags twice on a SIGHUP after a lease
 * (dhcp_netid_free), which a changed reservation needs. */
static void append_host_line(struct strbuf *b, const struct dhcp_host *h)
{
	char mac[MAC_STRLEN], a[ADDR_STRLEN];

	strbuf_append(b, mac_format(h->mac, mac));
	if (h->has & DHCP_HOST_HAS_V4) {
		strbuf_append(b, ",");
		strbuf_append(b, addr_format(&h->v4, a));
	}
	if (h->has & DHCP_HOST_HAS_V6) {
		strbuf_append(b, ",[");
		strbuf_append(b, addr_format(&h->v6, a));
		strbuf_append(b, "]");
	}
	strbuf_append(b, ",");
	strbuf_append(b, h->name);
	strbuf_append(b, "\n");
}

/* The pool's reservations, and their names when the resolver runs; nothing without any. */
static int render_hosts(const struct dhcp_pool *pool, bool dns_on, struct rendered *out)
{
	_cleanup_free_ char *ptr = NULL;
	struct strbuf b = {0};
	size_t i;
	int r;

	if (!pool->n_hosts)
		return 0;
	if (asprintf(&ptr, "%s/hosts", pool->ptr) < 0) {
		ptr = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < pool->n_hosts; i++)
		append_host_line(&b, &pool->hosts[i]);
	r = rendered_add(out, &b, 0644, "dnsmasq", CHANGE_RELOAD, ptr, "dnsmasq/hosts/%s",
			 pool->interface);
	if (r < 0 || !dns_on)
		return r;
	for (i = 0; i < pool->n_hosts; i++) {
		const struct dhcp_host *h = &pool->hosts[i];

		if (h->has & DHCP_HOST_HAS_V4)
			append_hosts_line(&b, &h->v4, pool, h);
		if (h->has & DHCP_HOST_HAS_V6)
			append_hosts_line(&b, &h->v6, pool, h);
	}
	return rendered_add(out, &b, 0644, "dnsmasq", CHANGE_RELOAD, ptr, "dnsmasq/dns/%s",
			    pool->interface);
}

/* The records as hosts(5) lines: each name for each of its addresses; nothing without any. */
static int render_records(const struct dns *dns, struct rendered *out)
{
	char a[ADDR_STRLEN];
	struct strbuf b = {0};
	size_t i, j;

	if (!dns->n_records)
		return 0;
	for (i = 0; i < dns->n_records; i++) {
		const struct dns_record *rec = &dns->records[i];

		for (j = 0; j < rec->n_addrs; j++) {
			strbuf_append(&b, addr_format(&rec->addrs[j], a));
			strbuf_append(&b, " ");
			strbuf_append(&b, rec->name);
			strbuf_append(&b, "\n");
		}
	}
	return rendered_add(out, &b, 0644, "dnsmasq", CHANGE_RELOAD, "/dns/records",
			    "dnsmasq/records/all");
}

int render_dnsmasq(const struct intent *in, const char *confdir, struct rendered *out)
{
	char *const *listen;
	size_t i, n;
	bool from_dhcp, dns_on;
	int r;

	dns_listen(in, &listen, &n, &from_dhcp);
	dns_on = n > 0;
	if (!dns_on && !in->dhcp->n)
		return 0;
	r = render_main(in, confdir, dns_on, out);
	for (i = 0; r >= 0 && i < in->dhcp->n; i++)
		r = render_hosts(&in->dhcp->v[i], dns_on, out);
	if (r >= 0 && dns_on)
		r = render_records(&in->dns, out);
	return r;
}
