/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink-sock.h"
#include "rule-probe.h"

struct find {
	uint32_t mark;
	bool found;
};

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct find *f = data;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWRULE)
		return 0;
	mnl_attr_for_each(a, nlh, sizeof(struct fib_rule_hdr))
	{
		if (mnl_attr_get_type(a) == FRA_FWMARK &&
		    mnl_attr_validate(a, MNL_TYPE_U32) >= 0 && mnl_attr_get_u32(a) == f->mark)
			f->found = true;
	}
	return 0;
}

/* One dump of the IPv4 rules on s: 1 if one has fwmark mark, 0 if none, or a negative errno. */
static int probe(struct netlink_sock *s, uint32_t mark)
{
	char buf[64] = {0};
	struct find f = {.mark = mark};
	struct fib_rule_hdr *h;
	struct nlmsghdr *nlh;
	int r;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETRULE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
	h->family = AF_INET;
	r = netlink_sock_talk(s, nlh, rule_cb, &f);
	return r < 0 ? r : f.found;
}

int rule_probe_wait_fwmark(uint32_t mark, int timeout_ms, struct strbuf *err)
{
	struct netlink_sock *s = NULL;
	int i, r;

	r = netlink_sock_open(&s, NETLINK_ROUTE, err);
	if (r < 0)
		return r;
	for (i = 0; (r = probe(s, mark)) == 0 && i < timeout_ms / 10; i++)
		usleep(10000);
	if (r < 0)
		strbuf_printf(err, "cannot read the routing rules: %s", netlink_sock_error(s, r));
	netlink_sock_close(s);
	return r;
}
