/* cast_files_tool: drives cast/files.h from the command line for the
 * integration test and the benchmark (offers stand in for the control
 * connection as a text file).
 *
 *   cast_files_tool offer [--id FIRST] PATH...        offers to stdout
 *   cast_files_tool send  [opts] [--id FIRST] [--nodes A,B,..] PATH...
 *   cast_files_tool recv  [opts] --inbox DIR --node-id N --offers FILE
 *                         [--count K] [--max-size BYTES]
 * Common: --channel N (7) --group G --port P --iface IF --timeout SEC (120)
 * send: --rate KBPS --cc --linger SEC (after the acks: serve repairs)
 * Offer line: ID SIZE SHA256HEX OPEN_AFTER REL_PATH (rest of the line).
 * recv prints "ready" once its offers are registered, one line per file,
 * and a JSON summary at exit (after --count files, the timeout, or
 * SIGTERM/SIGINT). send prints a JSON summary. Exit 0 unless something
 * failed.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cast/cast.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

struct opts {
	int channel;
	const char *group, *iface, *inbox, *offers;
	int port;
	uint32_t first_id, node_id;
	uint32_t nodes[CAST_FILE_NODES_MAX];
	size_t n_nodes;
	uint32_t rate_kbps;
	bool cc;
	double timeout_s, linger_s;
	long count;
	uint64_t max_size;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_offer(const struct cast_file_offer *o)
{
	printf("%u %llu ", o->transfer_id, (unsigned long long)o->size);
	for (int i = 0; i < 32; i++)
		printf("%02x", o->sha256[i]);
	printf(" %d %s\n", o->open_after ? 1 : 0, o->rel_path);
}

/* Builds the offers for PATH... in order (a folder: cast_file_tree_offers).
 * `kinds[i]` tells which PATH offer i came from. */
static int make_offers(char **paths, int n, uint32_t first_id,
                       struct cast_file_offer **out, size_t *count, int **kinds)
{
	struct cast_file_offer *v = NULL;
	int *k = NULL;
	size_t len = 0;
	uint32_t id = first_id;
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) < 0) {
			perror(paths[i]);
			return -1;
		}
		struct cast_file_offer *add = NULL;
		size_t nadd = 0;
		struct cast_file_offer one;
		int err;
		if (S_ISDIR(st.st_mode)) {
			err = cast_file_tree_offers(paths[i], id, &add, &nadd);
		} else {
			err = cast_file_offer_make(&one, paths[i], NULL, id);
			add = &one;
			nadd = 1;
		}
		if (err < 0) {
			fprintf(stderr, "%s: %s\n", paths[i],
			        cast_strerror(err));
			return -1;
		}
		struct cast_file_offer *nv =
		    realloc(v, (len + nadd) * sizeof(*v));
		int *nk = realloc(k, (len + nadd) * sizeof(*k));
		if (!nv || !nk) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		v = nv;
		k = nk;
		memcpy(v + len, add, nadd * sizeof(*v));
		for (size_t j = 0; j < nadd; j++)
			k[len + j] = i;
		len += nadd;
		id += (uint32_t)nadd;
		if (add != &one)
			free(add);
	}
	*out = v;
	*count = len;
	*kinds = k;
	return 0;
}

static int cmd_offer(const struct opts *o, char **paths, int n)
{
	struct cast_file_offer *v;
	size_t len;
	int *kinds;
	if (make_offers(paths, n, o->first_id, &v, &len, &kinds) < 0)
		return 1;
	for (size_t i = 0; i < len; i++)
		print_offer(&v[i]);
	free(v);
	free(kinds);
	return 0;
}

static void on_ack(uint32_t id, uint32_t node, enum cast_file_status st,
                   void *arg)
{
	(void)arg;
	fprintf(stderr, "ack: transfer %u node %u %s\n", id, node,
	        st == CAST_FILE_DONE ? "done" : "FAILED");
}

static int cmd_send(const struct opts *o, char **paths, int n)
{
	struct cast_file_offer *v;
	size_t len;
	int *kinds;
	if (make_offers(paths, n, o->first_id, &v, &len, &kinds) < 0)
		return 1;
	struct cast_file_sender_cfg cfg;
	cast_file_sender_cfg_init(&cfg);
	cfg.channel = o->channel;
	cfg.group = o->group;
	cfg.iface = o->iface;
	cfg.port = (uint16_t)o->port;
	if (o->rate_kbps)
		cfg.rate_kbps = o->rate_kbps;
	cfg.congestion_control = o->cc;
	cfg.node_id = 1;
	cfg.on_ack = on_ack;
	struct cast_file_sender *s = NULL;
	int err = cast_file_sender_new(&s, &cfg);
	if (err < 0) {
		fprintf(stderr, "sender: %s\n", cast_strerror(err));
		return 1;
	}
	for (size_t i = 0; i < o->n_nodes; i++)
		cast_file_sender_add_node(s, o->nodes[i]);
	double t0 = now_s();
	/* Files one by one; each folder with one send_tree call. */
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && kinds[j] == kinds[i])
			j++;
		struct stat st;
		if (stat(paths[kinds[i]], &st) == 0 && S_ISDIR(st.st_mode))
			err = cast_file_sender_send_tree(s, paths[kinds[i]],
			                                 v + i, j - i);
		else
			err = cast_file_sender_send(s, paths[kinds[i]],
			                            v[i].transfer_id);
		if (err < 0) {
			fprintf(stderr, "send %s: %s\n", paths[kinds[i]],
			        cast_strerror(err));
			break;
		}
		i = j;
	}
	int failed = 0;
	if (err >= 0) {
		failed =
		    cast_file_sender_wait(s, 0, (int)(o->timeout_s * 1000));
		if (failed < 0)
			fprintf(stderr, "wait: %s\n", cast_strerror(failed));
	}
	double secs = now_s() - t0;
	unsigned done = 0, nodes = 0;
	for (size_t i = 0; i < len; i++) {
		struct cast_file_progress p;
		if (cast_file_sender_progress(s, v[i].transfer_id, &p, NULL,
		                              0) >= 0) {
			done += p.done;
			nodes += p.nodes;
		}
	}
	double end = now_s() + o->linger_s;
	while (!g_stop && now_s() < end)
		usleep(50000);
	cast_file_sender_free(&s);
	printf("{\"transfers\":%zu,\"acks_done\":%u,\"acks_expected\":%u,"
	       "\"failed\":%d,\"seconds\":%.3f}\n",
	       len, done, nodes, failed, secs);
	free(v);
	free(kinds);
	return (err < 0 || failed != 0) ? 1 : 0;
}

struct rx_state {
	long completed, failed;
};

static void on_file(const char *path, const struct cast_file_offer *offer,
                    int status, void *arg)
{
	struct rx_state *st = arg;
	if (status == 0)
		st->completed++;
	else
		st->failed++;
	printf("file %u %s %s\n", offer->transfer_id,
	       status == 0 ? "ok" : cast_strerror(status), path);
	fflush(stdout);
}

static int load_offers(struct cast_file_receiver *r, const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		perror(file);
		return -1;
	}
	char line[CAST_FILE_PATH_MAX + 200];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		struct cast_file_offer o;
		memset(&o, 0, sizeof(o));
		unsigned long long size;
		char hex[65];
		int open_after, pos = 0;
		if (sscanf(line, "%u %llu %64s %d %n", &o.transfer_id, &size,
		           hex, &open_after, &pos) != 4 ||
		    strlen(hex) != 64) {
			fprintf(stderr, "bad offer line: %s\n", line);
			continue;
		}
		o.size = size;
		o.open_after = open_after != 0;
		for (int i = 0; i < 32; i++) {
			unsigned b;
			sscanf(hex + 2 * i, "%2x", &b);
			o.sha256[i] = (uint8_t)b;
		}
		snprintf(o.rel_path, sizeof(o.rel_path), "%s", line + pos);
		int err = cast_file_receiver_expect(r, &o);
		if (err < 0) {
			printf("refused offer %u (%s): %s\n", o.transfer_id,
			       o.rel_path, cast_strerror(err));
			continue;
		}
		n++;
	}
	fclose(f);
	return n;
}

static int cmd_recv(const struct opts *o)
{
	if (!o->inbox || !o->offers || !o->node_id) {
		fprintf(stderr, "recv needs --inbox, --offers, --node-id\n");
		return 2;
	}
	struct rx_state st = {0};
	struct cast_file_receiver_cfg cfg;
	cast_file_receiver_cfg_init(&cfg);
	cfg.channel = o->channel;
	cfg.group = o->group;
	cfg.iface = o->iface;
	cfg.port = (uint16_t)o->port;
	cfg.inbox = o->inbox;
	cfg.node_id = o->node_id;
	if (o->max_size)
		cfg.max_file_size = o->max_size;
	cfg.on_file = on_file;
	cfg.arg = &st;
	struct cast_file_receiver *r = NULL;
	int err = cast_file_receiver_new(&r, &cfg);
	if (err < 0) {
		fprintf(stderr, "receiver: %s\n", cast_strerror(err));
		return 1;
	}
	int n = load_offers(r, o->offers);
	printf("ready %d\n", n);
	fflush(stdout);
	double t0 = now_s();
	bool timed_out = false;
	while (!g_stop) {
		if (o->count > 0 && st.completed + st.failed >= o->count)
			break;
		if (now_s() - t0 > o->timeout_s) {
			timed_out = true;
			break;
		}
		usleep(20000);
	}
	double secs = now_s() - t0;
	struct cast_file_receiver_stats s;
	cast_file_receiver_get_stats(r, &s);
	cast_file_receiver_free(&r);
	printf("{\"node\":%u,\"completed\":%llu,\"failed\":%llu,"
	       "\"rejected\":%llu,\"duplicate\":%llu,\"accepted\":%llu,"
	       "\"bytes\":%llu,\"seconds\":%.3f,\"timed_out\":%s}\n",
	       o->node_id, (unsigned long long)s.files_completed,
	       (unsigned long long)s.files_failed,
	       (unsigned long long)s.objects_rejected,
	       (unsigned long long)s.objects_duplicate,
	       (unsigned long long)s.objects_accepted,
	       (unsigned long long)s.bytes_completed, secs,
	       timed_out ? "true" : "false");
	return (timed_out && o->count > 0) || st.failed ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: cast_files_tool offer|send|recv [options] [PATH...]\n"
	        "  (see the comment at the top of cast_files_tool.c)\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return 2;
	}
	const char *cmd = argv[1];
	struct opts o = {.channel = 7, .first_id = 1, .timeout_s = 120};
	enum {
		O_CHANNEL = 1,
		O_GROUP,
		O_PORT,
		O_IFACE,
		O_ID,
		O_NODES,
		O_NODE_ID,
		O_RATE,
		O_CC,
		O_TIMEOUT,
		O_LINGER,
		O_INBOX,
		O_OFFERS,
		O_COUNT,
		O_MAX
	};
	static const struct option lopts[] = {
	    {"channel", required_argument, NULL, O_CHANNEL},
	    {"group", required_argument, NULL, O_GROUP},
	    {"port", required_argument, NULL, O_PORT},
	    {"iface", required_argument, NULL, O_IFACE},
	    {"id", required_argument, NULL, O_ID},
	    {"nodes", required_argument, NULL, O_NODES},
	    {"node-id", required_argument, NULL, O_NODE_ID},
	    {"rate", required_argument, NULL, O_RATE},
	    {"cc", no_argument, NULL, O_CC},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"linger", required_argument, NULL, O_LINGER},
	    {"inbox", required_argument, NULL, O_INBOX},
	    {"offers", required_argument, NULL, O_OFFERS},
	    {"count", required_argument, NULL, O_COUNT},
	    {"max-size", required_argument, NULL, O_MAX},
	    {NULL, 0, NULL, 0},
	};
	optind = 2;
	int c;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case O_CHANNEL:
			o.channel = atoi(optarg);
			break;
		case O_GROUP:
			o.group = optarg;
			break;
		case O_PORT:
			o.port = atoi(optarg);
			break;
		case O_IFACE:
			o.iface = optarg;
			break;
		case O_ID:
			o.first_id = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case O_NODES: {
			char *p = optarg;
			while (*p && o.n_nodes < CAST_FILE_NODES_MAX) {
				o.nodes[o.n_nodes++] =
				    (uint32_t)strtoul(p, &p, 0);
				if (*p == ',')
					p++;
				else if (*p)
					break;
			}
			break;
		}
		case O_NODE_ID:
			o.node_id = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case O_RATE:
			o.rate_kbps = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case O_CC:
			o.cc = true;
			break;
		case O_TIMEOUT:
			o.timeout_s = atof(optarg);
			break;
		case O_LINGER:
			o.linger_s = atof(optarg);
			break;
		case O_INBOX:
			o.inbox = optarg;
			break;
		case O_OFFERS:
			o.offers = optarg;
			break;
		case O_COUNT:
			o.count = atol(optarg);
			break;
		case O_MAX:
			o.max_size = strtoull(optarg, NULL, 0);
			break;
		default:
			usage();
			return 2;
		}
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	char **paths = argv + optind;
	int n = argc - optind;
	if (!strcmp(cmd, "offer"))
		return cmd_offer(&o, paths, n);
	if (!strcmp(cmd, "send"))
		return cmd_send(&o, paths, n);
	if (!strcmp(cmd, "recv"))
		return cmd_recv(&o);
	usage();
	return 2;
}
