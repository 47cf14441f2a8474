/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the parsers of rtnetlink dump messages (agent/kernel/netlink-msg.c).
 * The input is a stream of netlink messages as a dump delivers them; each message is given
 * to the parser of its type (and to the others, since a parser must refuse what is not its
 * own), and what parses is rebuilt from the dump (netlink_msg_from_dump) as the undo path does.
 */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kernel/netlink-msg.h"

static void fuzz_one(struct nlmsghdr *nlh)
{
	static const uint16_t types[] = {RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE};
	uint8_t out[NETLINK_MSG_BUF_SIZE];
	struct netlink_msg_link l;
	struct netlink_msg_addr a;
	struct netlink_msg_route r;
	uint16_t own = nlh->nlmsg_type;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		nlh->nlmsg_type = types[i];
		if (netlink_msg_link_parse(nlh, &l) >= 0 || netlink_msg_addr_parse(nlh, &a) >= 0 ||
		    netlink_msg_route_parse(nlh, &r) >= 0)
			netlink_msg_from_dump(out, sizeof(out), nlh, NLM_F_CREATE);
		netlink_msg_link_parse_promote(nlh);
	}
	nlh->nlmsg_type = own;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	size_t off = 0;

	/* A copy, aligned as a receive buffer is, that the harness may write; zeroed, since the
	 * attribute walk reads up to the aligned end of a message, as in a kernel buffer. */
	buf = calloc(1, size + NLMSG_ALIGNTO);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	while (size - off >= NLMSG_HDRLEN) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(buf + off);
		size_t len = nlh->nlmsg_len;

		/* The kernel never sends a message longer than what was received. */
		if (len < NLMSG_HDRLEN || len > size - off)
			len = nlh->nlmsg_len = (uint32_t)(size - off);
		fuzz_one(nlh);
		off += NLMSG_ALIGN(len);
		if (off > size)
			break;
	}
	free(buf);
	return 0;
}
