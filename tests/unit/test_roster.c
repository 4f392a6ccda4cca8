/* Class roster: students, natural order, attendance, CSV in and out. */
#include <dirent.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "cast/cast.h"

static char dir[64];
static char last_error[512];

static void quiet_log(enum cast_log_level level, const char *obj,
		      const char *msg, void *arg)
{
	size_t n = strlen(last_error);

	(void)arg;
	if (level == CAST_LOG_ERROR && n < sizeof(last_error))
		snprintf(last_error + n, sizeof(last_error) - n, "[%s] %s\n",
			 obj, msg);
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_roster.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	cast_log_set_handler(quiet_log, NULL);
	last_error[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cast_log_set_handler(NULL, NULL);
	return nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void path_in(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	assert_non_null(f);
	buf = calloc(1, 1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Every student (with times) and the attendance of lesson 1, as text. */
struct dump {
	char *s;
	size_t len, cap;
};

static void dump_add(struct dump *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->cap - d->len < 4096) {
		d->cap = d->cap ? d->cap * 2 : 65536;
		d->s = realloc(d->s, d->cap);
		assert_non_null(d->s);
	}
	va_start(ap, fmt);
	n = vsnprintf(d->s + d->len, d->cap - d->len, fmt, ap);
	va_end(ap);
	d->len += (size_t)n;
}

static void dump_entry(struct dump *d, const struct cast_roster_entry *e)
{
	dump_add(d, "%s|%s|%s|%s|%s|%s|%s|%lld|%lld\n", e->id, e->name,
		 e->class_name, e->ip, e->mac, e->host, e->notes,
		 (long long)e->first_seen_us, (long long)e->last_seen_us);
}

static int dump_student(const struct cast_roster_entry *e, void *arg)
{
	dump_entry(arg, e);
	return 0;
}

static int dump_attend(const struct cast_attend_record *a, void *arg)
{
	dump_entry(arg, &a->student);
	dump_add(arg, "  %s %d %lld %lld\n", cast_attend_state_name(a->state),
		 a->present, (long long)a->first_us, (long long)a->last_us);
	return 0;
}

static int dump_lesson(const struct cast_roster_lesson *l, void *arg)
{
	dump_add(arg, "lesson %lld %s %lld %lld\n", (long long)l->id, l->title,
		 (long long)l->begin_us, (long long)l->end_us);
	return 0;
}

static char *dump(struct cast_roster *r)
{
	struct dump d = {0};

	dump_add(&d, "students\n");
	assert_true(cast_roster_list(r, dump_student, &d) >= 0);
	assert_true(cast_roster_lessons(r, dump_lesson, &d) >= 0);
	if (cast_roster_lessons(r, NULL, NULL) > 0)
		assert_true(cast_roster_attendance(r, 1, dump_attend, &d) >= 0);
	return d.s;
}

struct ids {
	char id[16][64];
	int n;
};

static int collect_id(const struct cast_roster_entry *e, void *arg)
{
	struct ids *ids = arg;

	if (ids->n == 16 || strlen(e->id) >= sizeof(ids->id[0]))
		return -1;
	memcpy(ids->id[ids->n++], e->id, strlen(e->id) + 1);
	return 0;
}

static int stop_after_two(const struct cast_roster_entry *e, void *arg)
{
	int *n = arg;

	(void)e;
	return ++*n == 2 ? 1 : 0;
}

static int fail_at_once(const struct cast_roster_entry *e, void *arg)
{
	(void)e;
	(void)arg;
	return CAST_ERROR(ECANCELED);
}

static void upsert_list_natural_sort(void **state)
{
	static const uint8_t mac[6] = {0x02, 0xAB, 0, 0, 0, 0x1F};
	static const uint8_t zero[6] = {0};
	static const char *const order[] = {
		"a9", "a10", "s01", "s1", "s2", "s10", "s10b", "s100",
		"学生3",
	};
	struct cast_roster *r = NULL;
	struct cast_roster_entry e;
	struct ids ids = {0};
	int n = 0;

	(void)state;
	assert_int_equal(cast_roster_open(&r, ":memory:"), 0);
	assert_non_null(r);

	/* Inserted out of order; listed in natural order. */
	for (int i = 8; i >= 0; i--)
		assert_int_equal(cast_roster_upsert_seen(r, order[i], NULL,
							 NULL, NULL, NULL,
							 NULL, 1000 + i),
				 1);
	assert_int_equal(cast_roster_list(r, collect_id, &ids), 9);
	assert_int_equal(ids.n, 9);
	for (int i = 0; i < 9; i++)
		assert_string_equal(ids.id[i], order[i]);
	assert_int_equal(cast_roster_list(r, NULL, NULL), 9);
	assert_int_equal(cast_roster_list(r, stop_after_two, &n), 2);
	assert_int_equal(cast_roster_list(r, fail_at_once, NULL),
			 CAST_ERROR(ECANCELED));

	/* The sign-in fills in what it knows; an empty name keeps the old. */
	assert_int_equal(cast_roster_upsert_seen(r, "s2", "张三", "高一(3)班",
						 "10.0.0.12", mac, "pc-12",
						 5000),
			 0);
	assert_int_equal(cast_roster_upsert_seen(r, "s2", NULL, "", "10.0.0.13",
						 zero, NULL, 7000),
			 0);
	assert_int_equal(cast_roster_get(r, "s2", &e), 0);
	assert_string_equal(e.id, "s2");
	assert_string_equal(e.name, "张三");
	assert_string_equal(e.class_name, "高一(3)班");
	assert_string_equal(e.ip, "10.0.0.13");
	assert_string_equal(e.mac, "02:ab:00:00:00:1f");
	assert_string_equal(e.host, "pc-12");
	assert_string_equal(e.notes, "");
	assert_int_equal(e.first_seen_us, 1004);
	assert_int_equal(e.last_seen_us, 7000);
	assert_int_equal(cast_roster_set_notes(r, "s2", "前排, 近视"), 0);
	assert_int_equal(cast_roster_get(r, "s2", &e), 0);
	assert_string_equal(e.notes, "前排, 近视");
	assert_int_equal(cast_roster_set_notes(r, "nobody", "x"),
			 CAST_ERROR(ENOENT));

	/* Bad input. */
	assert_int_equal(cast_roster_upsert_seen(r, "", NULL, NULL, NULL, NULL,
						 NULL, 1),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_roster_upsert_seen(r, " s3", NULL, NULL, NULL,
						 NULL, NULL, 1),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_roster_upsert_seen(r, "s\n3", NULL, NULL, NULL,
						 NULL, NULL, 1),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_roster_upsert_seen(r, "s3", "\xc3\x28", NULL,
						 NULL, NULL, NULL, 1),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_roster_upsert_seen(r, "s3", NULL, NULL,
						 "10.0.0.300", NULL, NULL, 1),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_roster_upsert_seen(r, "s3", NULL, NULL, "fe80::1",
						 NULL, NULL, 1),
			 1);
	assert_int_equal(cast_roster_get(r, "nobody", &e), CAST_ERROR(ENOENT));

	assert_int_equal(cast_roster_remove(r, "s3"), 0);
	assert_int_equal(cast_roster_remove(r, "s3"), CAST_ERROR(ENOENT));
	assert_int_equal(cast_roster_list(r, NULL, NULL), 9);
	assert_int_equal(cast_roster_clear(r), 0);
	assert_int_equal(cast_roster_list(r, NULL, NULL), 0);
	cast_roster_close(&r);
	assert_null(r);
	cast_roster_close(&r);
	cast_roster_close(NULL);
}

struct att {
	struct cast_attend_record rec[8];
	int n;
};

static int collect_att(const struct cast_attend_record *a, void *arg)
{
	struct att *att = arg;

	if (att->n == 8)
		return -1;
	att->rec[att->n++] = *a;
	return 0;
}

static void attendance_two_lessons(void **state)
{
	struct cast_roster *r = NULL;
	struct att a = {0}, b = {0};
	int64_t l1 = 0, l2 = 0;
	char path[128], *text;

	(void)state;
	assert_int_equal(cast_roster_open(&r, ":memory:"), 0);
	assert_int_equal(cast_roster_upsert_seen(r, "s10", "王五", "一班", NULL,
						 NULL, NULL, 10),
			 1);
	assert_int_equal(cast_roster_upsert_seen(r, "s2", "李四", "一班",
						 "10.0.0.2", NULL, NULL, 10),
			 1);
	assert_int_equal(cast_roster_upsert_seen(r, "s1", "张三", "一班",
						 "10.0.0.1", NULL, NULL, 10),
			 1);

	assert_int_equal(cast_roster_lesson_begin(r, "数学", 1000000000000000,
						  &l1),
			 0);
	assert_int_equal(cast_roster_lesson_begin(r, "English", 1000000360000000,
						  &l2),
			 0);
	assert_true(l1 > 0 && l2 > l1);

	/* Lesson 1: s1 comes and goes, s2 comes (events out of order). */
	assert_int_equal(cast_roster_attend(r, l1, "s1", CAST_ATTEND_SIGNED_IN,
					    1000000000500000),
			 0);
	assert_int_equal(cast_roster_attend(r, l1, "s1", CAST_ATTEND_LEFT,
					    1000000002000000),
			 0);
	assert_int_equal(cast_roster_attend(r, l1, "s2", CAST_ATTEND_SIGNED_IN,
					    1000000001500000),
			 0);
	assert_int_equal(cast_roster_attend(r, l1, "s2", CAST_ATTEND_SIGNED_IN,
					    1000000001000000),
			 0);
	/* Lesson 2: s10 signs in, s1 is marked absent. */
	assert_int_equal(cast_roster_attend(r, l2, "s10", CAST_ATTEND_SIGNED_IN,
					    1000000360100000),
			 0);
	assert_int_equal(cast_roster_attend(r, l2, "s1", CAST_ATTEND_ABSENT,
					    1000000360200000),
			 0);

	assert_int_equal(cast_roster_attend(r, l1, "nobody",
					    CAST_ATTEND_SIGNED_IN, 1),
			 CAST_ERROR(ENOENT));
	assert_int_equal(cast_roster_attend(r, 999, "s1", CAST_ATTEND_SIGNED_IN,
					    1),
			 CAST_ERROR(ENOENT));
	assert_int_equal(cast_roster_attend(r, l1, "s1",
					    (enum cast_attend_state)7, 1),
			 CAST_ERROR(EINVAL));

	assert_int_equal(cast_roster_attendance(r, l1, collect_att, &a), 3);
	assert_string_equal(a.rec[0].student.id, "s1");
	assert_string_equal(a.rec[0].student.name, "张三");
	assert_int_equal(a.rec[0].state, CAST_ATTEND_LEFT);
	assert_true(a.rec[0].present);
	assert_int_equal(a.rec[0].first_us, 1000000000500000);
	assert_int_equal(a.rec[0].last_us, 1000000002000000);
	assert_string_equal(a.rec[1].student.id, "s2");
	assert_int_equal(a.rec[1].state, CAST_ATTEND_SIGNED_IN);
	assert_true(a.rec[1].present);
	assert_int_equal(a.rec[1].first_us, 1000000001000000);
	assert_int_equal(a.rec[1].last_us, 1000000001500000);
	assert_string_equal(a.rec[2].student.id, "s10");
	assert_int_equal(a.rec[2].state, CAST_ATTEND_ABSENT);
	assert_false(a.rec[2].present);
	assert_int_equal(a.rec[2].first_us, 0);
	assert_int_equal(a.rec[2].last_us, 0);

	assert_int_equal(cast_roster_attendance(r, l2, collect_att, &b), 3);
	assert_int_equal(b.rec[0].state, CAST_ATTEND_ABSENT);
	assert_false(b.rec[0].present);
	assert_int_equal(b.rec[0].last_us, 1000000360200000);
	assert_false(b.rec[1].present);
	assert_true(b.rec[2].present);
	assert_int_equal(b.rec[2].first_us, 1000000360100000);
	assert_int_equal(cast_roster_attendance(r, 999, collect_att, &b),
			 CAST_ERROR(ENOENT));

	assert_int_equal(cast_roster_lesson_end(r, l1, 1000000003000000), 0);
	assert_int_equal(cast_roster_lesson_end(r, l1, 1000000004000000),
			 CAST_ERROR(EALREADY));
	assert_int_equal(cast_roster_lesson_end(r, 999, 1),
			 CAST_ERROR(ENOENT));
	assert_int_equal(cast_roster_lessons(r, NULL, NULL), 2);

	/* The attendance sheet, in UTC for a fixed text. */
	setenv("TZ", "UTC", 1);
	tzset();
	path_in(path, sizeof(path), "lesson1.csv");
	assert_int_equal(cast_roster_export_attendance_csv(r, l1, path), 0);
	text = read_text(path);
	assert_string_equal(
		text, "\xef\xbb\xbf"
		      "id,name,class,ip,present,state,first,last\r\n"
		      "s1,张三,一班,10.0.0.1,yes,left,"
		      "2001-09-09T01:46:40+0000,2001-09-09T01:46:42+0000\r\n"
		      "s2,李四,一班,10.0.0.2,yes,signed_in,"
		      "2001-09-09T01:46:41+0000,2001-09-09T01:46:41+0000\r\n"
		      "s10,王五,一班,,no,absent,,\r\n");
	free(text);
	assert_int_equal(cast_roster_export_attendance_csv(r, 999, path),
			 CAST_ERROR(ENOENT));

	/* Removing a student takes their attendance along. */
	assert_int_equal(cast_roster_remove(r, "s1"), 0);
	assert_int_equal(cast_roster_attendance(r, l1, NULL, NULL), 2);
	cast_roster_close(&r);
}

/* Names that must come back byte for byte. */
static const char *const tricky[][4] = {
	/* id, name, class, notes */
	{"s1", "张三", "高一(3)班", ""},
	{"s2", "陳大文", "中四甲班", "繁體中文：測試「引號」"},
	{"s3", "李, \"小\" 雷", "一班,二班", "第一行\n第二行\r\n第三行"},
	{"s4", "=1+1", "@class", "-3"},
	{"s5", "'quoted'", " padded ", "\"\""},
	{"s6", "Zoë Ünal 🎓", "", "tab\there"},
	{"=s7", "+cmd", "", "'"},
};
#define N_TRICKY (sizeof(tricky) / sizeof(tricky[0]))

static void csv_round_trip(void **state)
{
	static const uint8_t mac[6] = {0xde, 0xad, 0xbe, 0xef, 0, 1};
	struct cast_roster *r = NULL;
	struct cast_roster_entry e;
	char path[128], err[256], *buf, *again, *file;
	size_t len, len2;

	(void)state;
	assert_int_equal(cast_roster_open(&r, ":memory:"), 0);
	for (size_t i = 0; i < N_TRICKY; i++) {
		assert_int_equal(cast_roster_upsert_seen(r, tricky[i][0],
							 tricky[i][1],
							 tricky[i][2],
							 "192.168.1.9", mac,
							 "host-1", 1),
				 1);
		assert_int_equal(cast_roster_set_notes(r, tricky[i][0],
						       tricky[i][3]),
				 0);
	}
	assert_int_equal(cast_roster_export_csv_buf(r, &buf, &len), 0);
	assert_int_equal(strlen(buf), len);
	assert_memory_equal(buf,
			    "\xef\xbb\xbfid,name,class,ip,mac,host,notes\r\n",
			    35);
	/* Quoting and formula escaping as a spreadsheet needs them. */
	assert_non_null(strstr(buf, "s3,\"李, \"\"小\"\" 雷\",\"一班,二班\","));
	assert_non_null(strstr(buf, "\"第一行\n第二行\r\n第三行\"\r\n"));
	assert_non_null(strstr(buf, "s4,'=1+1,'@class,"));
	assert_non_null(strstr(buf, "''quoted',\" padded \""));
	assert_non_null(strstr(buf, "'=s7,'+cmd,"));

	path_in(path, sizeof(path), "roster.csv");
	assert_int_equal(cast_roster_export_csv(r, path), 0);
	file = read_text(path);
	assert_string_equal(file, buf);
	free(file);

	assert_int_equal(cast_roster_clear(r), 0);
	assert_int_equal(cast_roster_import_csv(r, path, 0, err, sizeof(err)),
			 (int)N_TRICKY);
	assert_string_equal(err, "");
	for (size_t i = 0; i < N_TRICKY; i++) {
		assert_int_equal(cast_roster_get(r, tricky[i][0], &e), 0);
		assert_string_equal(e.name, tricky[i][1]);
		assert_string_equal(e.class_name, tricky[i][2]);
		assert_string_equal(e.notes, tricky[i][3]);
		assert_string_equal(e.ip, "192.168.1.9");
		assert_string_equal(e.mac, "de:ad:be:ef:00:01");
		assert_string_equal(e.host, "host-1");
	}
	assert_int_equal(cast_roster_export_csv_buf(r, &again, &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(again, buf, len);
	free(again);
	free(buf);

	/* A hand-made file: BOM, any column order and case, extra columns,
	 * CRLF, quotes, no final newline; merges into what's there. */
	{
		static const char hand[] =
			"\xef\xbb\xbf"
			"Name, ID ,seat,MAC,Class,IP\r\n"
			"\"王, 小明\",s05,3,AA-BB-CC-DD-EE-FF,一班,10.0.0.5\r\n"
			"\r\n"
			"\"He said \"\"hi\"\"\",s1,,,,\r\n"
			"\"多行\n名字\",s10,x,aa:bb:cc:dd:ee:0f,,2001:db8::1";

		assert_int_equal(cast_roster_import_csv_buf(r, hand,
							    sizeof(hand) - 1,
							    "hand.csv", 0, err,
							    sizeof(err)),
				 3);
	}
	assert_int_equal(cast_roster_get(r, "s05", &e), 0);
	assert_string_equal(e.name, "王, 小明");
	assert_string_equal(e.class_name, "一班");
	assert_string_equal(e.ip, "10.0.0.5");
	assert_string_equal(e.mac, "aa:bb:cc:dd:ee:ff");
	assert_int_equal(cast_roster_get(r, "s1", &e), 0);
	assert_string_equal(e.name, "He said \"hi\"");
	assert_string_equal(e.class_name, "高一(3)班"); /* empty cell keeps */
	assert_string_equal(e.ip, "192.168.1.9");
	assert_string_equal(e.notes, "");
	assert_int_equal(cast_roster_get(r, "s10", &e), 0);
	assert_string_equal(e.name, "多行\n名字");
	assert_string_equal(e.ip, "2001:db8::1");
	assert_int_equal(cast_roster_list(r, NULL, NULL), (int)N_TRICKY + 2);

	/* REPLACE drops who the file doesn't list. */
	{
		static const char two[] = "id,name,class,ip,mac\ns2,,,,\ns05,,,,\n";

		assert_int_equal(cast_roster_import_csv_buf(
					 r, two, sizeof(two) - 1, NULL,
					 CAST_ROSTER_IMPORT_REPLACE, err,
					 sizeof(err)),
				 2);
	}
	assert_int_equal(cast_roster_list(r, NULL, NULL), 2);
	assert_int_equal(cast_roster_get(r, "s2", &e), 0);
	assert_string_equal(e.name, "陳大文");
	assert_int_equal(cast_roster_import_csv_buf(r, NULL, 0, NULL, 4, err,
						    sizeof(err)),
			 CAST_ERROR(EINVAL));
	cast_roster_close(&r);
}

struct bad_case {
	const char *text;
	int line;
	const char *why;
};

static const struct bad_case bad_cases[] = {
	{"id,name,class,ip,mac\ns1,CHANGED,,,\n,b,,,\n", 3, "missing id"},
	{"id,name,class,ip,mac\ns1,CHANGED,,,\n',b,,,\n", 3, "missing id"},
	{"id,name,class,ip,mac\ns99,new,,,\ns1,\"two\nlines\",,,\ns99,again,,,\n",
	 5, "duplicate id 's99'"},
	{"id,name,class,ip,mac\ns99,new,,,\ns2,\xff,,,\n", 3, "invalid UTF-8"},
	{"id,name,class,ip,mac\ns99,\"a\nb\nc\xc3\",,,\n", 4, "invalid UTF-8"},
	{"id,name,class,ip,mac\ns99,\xe0\x80\xaf,,,\n", 2, "invalid UTF-8"},
	{"id,name,class,ip,mac\ns99,\xed\xa0\x80,,,\n", 2, "invalid UTF-8"},
	{"id,name,class,ip,mac\ns99,new,,,\ns98,\"abc,,,\ns97,x,,,\n", 3,
	 "unterminated quoted field"},
	{"id,name,class,ip,mac\ns99,new,,,\ns98,x,,,zz:bb:cc:dd:ee:ff\n", 3,
	 "bad MAC address 'zz:bb:cc:dd:ee:ff'"},
	{"id,name,class,ip,mac\ns98,x,,,aa:bb-cc:dd:ee:ff\n", 2,
	 "bad MAC address"},
	{"id,name,class,ip,mac\ns98,x,,,aa:bb:cc:dd:ee\n", 2, "bad MAC address"},
	{"id,name,class,ip,mac\ns98,x,,10.1.1,\n", 2, "bad IP address '10.1.1'"},
	{"id,name,class,ip\ns98,x,,\n", 1, "missing column 'mac'"},
	{"", 1, "no header"},
	{"\xef\xbb\xbf\n\n", 3, "no header"},
	{"id,name,class,ip,mac,ID\n", 1, "column 'id' given twice"},
	{"id,name,class,ip,mac\ns99,new,,,\ns98,x,,\n", 3,
	 "4 fields, the header has 5"},
	{"id,name,class,ip,mac\ns98,ab\"c,,,\n", 2, "quote inside"},
	{"id,name,class,ip,mac\ns98,\"ab\"c,,,\n", 2, "text after a closing"},
	{"id,name,class,ip,mac\ns98,a\rb,,,\n", 2, "carriage return"},
	{"id,name,class,ip,mac\n s98,x,,,\n", 2, "bad id ' s98'"},
	{"id,name,class,ip,mac\ns99,new,,,\ns98,a\0b,,,\n", 3, "NUL byte"},
};

static void check_bad(struct cast_roster *r, const char *before,
		      const char *text, size_t len, int line, const char *why)
{
	char err[256], want[64], *after;
	int ret;

	ret = cast_roster_import_csv_buf(r, text, len, NULL, 0, err,
					 sizeof(err));
	if (ret != CAST_EMALFORMED || !strstr(err, why))
		fail_msg("line %d '%s': got %d '%s'", line, why, ret, err);
	snprintf(want, sizeof(want), "roster.csv:%d: ", line);
	if (strncmp(err, want, strlen(want)))
		fail_msg("want '%s%s', got '%s'", want, why, err);
	after = dump(r);
	assert_string_equal(after, before);
	free(after);
	/* REPLACE would delete everyone: still nothing changes. */
	ret = cast_roster_import_csv_buf(r, text, len, NULL,
					 CAST_ROSTER_IMPORT_REPLACE, err,
					 sizeof(err));
	assert_int_equal(ret, CAST_EMALFORMED);
	after = dump(r);
	assert_string_equal(after, before);
	free(after);
}

static void bad_csv_names_line(void **state)
{
	struct cast_roster *r = NULL;
	char err[256], path[128], *before, *big;
	int64_t lesson;
	size_t n;

	(void)state;
	assert_int_equal(cast_roster_open(&r, ":memory:"), 0);
	assert_int_equal(cast_roster_upsert_seen(r, "s1", "张三", "一班",
						 "10.0.0.1", NULL, "pc1", 5),
			 1);
	assert_int_equal(cast_roster_upsert_seen(r, "s2", "李四", "一班", NULL,
						 NULL, NULL, 6),
			 1);
	assert_int_equal(cast_roster_lesson_begin(r, "x", 1, &lesson), 0);
	assert_int_equal(cast_roster_attend(r, lesson, "s1",
					    CAST_ATTEND_SIGNED_IN, 7),
			 0);
	before = dump(r);

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		/* The NUL case: its length runs past the embedded NUL. */
		size_t len = strlen(c->text);

		if (strstr(c->why, "NUL"))
			len += 1 + strlen(c->text + len + 1);
		check_bad(r, before, c->text, len, c->line, c->why);
	}

	/* The message exactly, with the file's name. */
	big = malloc(1 << 20);
	assert_non_null(big);
	n = (size_t)sprintf(big, "id,name,class,ip,mac\n");
	for (int i = 1; i <= 15; i++)
		n += (size_t)sprintf(big + n, "s%02d,名字%d,一班,,\n", i, i);
	n += (size_t)sprintf(big + n, "s05,again,,,\n");
	path_in(path, sizeof(path), "roster.csv");
	write_text(path, big, n);
	assert_int_equal(cast_roster_import_csv(r, path, 0, err, sizeof(err)),
			 CAST_EMALFORMED);
	assert_non_null(strstr(err, "roster.csv:17: duplicate id 's05'"));
	assert_string_equal(strrchr(err, '/') + 1,
			    "roster.csv:17: duplicate id 's05'");
	check_bad(r, before, big, n, 17, "duplicate id 's05'");

	/* A field of 256 bytes is fine, 257 is not. */
	n = (size_t)sprintf(big, "id,name,class,ip,mac\ns1,");
	memset(big + n, 'x', 256);
	n += 256;
	n += (size_t)sprintf(big + n, ",,,\ns2,\"");
	memset(big + n, 'y', 257);
	n += 257;
	n += (size_t)sprintf(big + n, "\",,,\n");
	check_bad(r, before, big, n, 3, "field longer than 256 bytes");
	/* An over-long quoted field that never closes is unterminated. */
	check_bad(r, before, big, n - 5, 3, "unterminated quoted field");

	/* 10000 rows are fine, 10001 are not. */
	n = (size_t)sprintf(big, "id,name,class,ip,mac\n");
	for (int i = 1; i <= 10001; i++)
		n += (size_t)sprintf(big + n, "t%d,名字,,,\n", i);
	check_bad(r, before, big, n, 10002, "more than 10000 rows");
	n -= strlen("t10001,名字,,,\n");
	assert_int_equal(cast_roster_import_csv_buf(r, big, n, NULL, 0, err,
						    sizeof(err)),
			 10000);
	assert_int_equal(cast_roster_list(r, NULL, NULL), 10002);

	/* Files that aren't there, or aren't files. */
	path_in(path, sizeof(path), "missing.csv");
	assert_int_equal(cast_roster_import_csv(r, path, 0, err, sizeof(err)),
			 CAST_ERROR(ENOENT));
	assert_non_null(strstr(err, "missing.csv: "));
	assert_int_equal(cast_roster_import_csv(r, dir, 0, err, sizeof(err)),
			 CAST_ERROR(EINVAL));
	free(big);
	free(before);
	cast_roster_close(&r);
}

static int count_dir_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void export_is_atomic(void **state)
{
	struct cast_roster *r = NULL;
	struct rlimit old, lim;
	char path[128], id[32], *text, *buf;
	size_t len;

	(void)state;
	assert_int_equal(cast_roster_open(&r, ":memory:"), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(id, sizeof(id), "s%d", i);
		assert_int_equal(cast_roster_upsert_seen(r, id, "一个名字",
							 "一班", "10.0.0.1",
							 NULL, "host", 1),
				 1);
	}
	path_in(path, sizeof(path), "roster.csv");
	write_text(path, "OLD\n", 4);
	assert_int_equal(count_dir_entries(), 1);

	/* The disk "fills up" half-way through the write. */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1024;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(cast_roster_export_csv(r, path), CAST_ERROR(EFBIG));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_non_null(strstr(last_error, "cannot write"));

	text = read_text(path);
	assert_string_equal(text, "OLD\n");
	free(text);
	assert_int_equal(count_dir_entries(), 1); /* no temporary left */

	assert_int_equal(cast_roster_export_csv(r, "/nonexistent/dir/r.csv"),
			 CAST_ERROR(ENOENT));
	assert_int_equal(cast_roster_export_csv(r, path), 0);
	assert_int_equal(cast_roster_export_csv_buf(r, &buf, &len), 0);
	text = read_text(path);
	assert_string_equal(text, buf);
	free(text);
	free(buf);
	assert_int_equal(count_dir_entries(), 1);
	cast_roster_close(&r);
}

static int sql_int(const char *db_path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int v;

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void reopen_keeps_data(void **state)
{
	struct cast_roster *r = NULL;
	char path[128], *before, *after;
	int64_t lesson = 0;

	(void)state;
	path_in(path, sizeof(path), "roster.db");
	assert_int_equal(cast_roster_open(&r, path), 0);
	assert_int_equal(cast_roster_upsert_seen(r, "s1", "張三", "甲班",
						 "10.0.0.1", NULL, "pc1", 5),
			 1);
	assert_int_equal(cast_roster_upsert_seen(r, "s2", "李四", "甲班", NULL,
						 NULL, NULL, 6),
			 1);
	assert_int_equal(cast_roster_lesson_begin(r, "物理", 10, &lesson), 0);
	assert_int_equal(cast_roster_attend(r, lesson, "s2",
					    CAST_ATTEND_SIGNED_IN, 11),
			 0);
	assert_int_equal(cast_roster_lesson_end(r, lesson, 20), 0);
	before = dump(r);
	cast_roster_close(&r);
	{
		struct stat sb;

		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}

	assert_int_equal(cast_roster_open(&r, path), 0);
	after = dump(r);
	assert_string_equal(after, before);
	assert_non_null(strstr(after, "lesson 1 物理 10 20"));
	free(after);
	cast_roster_close(&r);
	free(before);

	assert_int_equal(sql_int(path, "SELECT max(version) FROM schema_version"),
			 1);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM schema_version"),
			 1);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM pragma_journal_mode"
				       " WHERE journal_mode = 'wal'"),
			 1);

	/* A file from a newer libcast is refused, not damaged. */
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db,
					      "INSERT INTO schema_version"
					      " VALUES (99, 0)",
					      NULL, NULL, NULL),
				 SQLITE_OK);
		sqlite3_close(db);
	}
	assert_int_equal(cast_roster_open(&r, path),
			 CAST_ERROR(EPROTONOSUPPORT));
	assert_null(r);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM students"), 2);

	/* Not a database: converted, and SQLite's reason logged. */
	path_in(path, sizeof(path), "notes.txt");
	write_text(path, "this is not a database, just some text.........."
			 "................................................",
		   96);
	last_error[0] = '\0';
	assert_int_equal(cast_roster_open(&r, path), CAST_EMALFORMED);
	assert_null(r);
	assert_non_null(strstr(last_error, "[roster]"));
	assert_non_null(strstr(last_error, "not a database"));
	assert_int_equal(cast_roster_open(&r, "/nonexistent/dir/r.db"),
			 CAST_ERROR(ENOENT));
	assert_int_equal(cast_roster_open(&r, ""), CAST_ERROR(EINVAL));
	assert_null(r);
}

/* Two teachers started together on one machine (two classes, one home):
 * every process opens the same new file at once; none may fail with
 * "database is locked" (SQLite does not wait for a lock where waiting
 * could deadlock, e.g. while another connection switches to WAL). */
static void concurrent_open(void **state)
{
	enum { PROCS = 8, ROUNDS = 6 };
	char path[128];

	(void)state;
	for (int round = 0; round < ROUNDS; round++) {
		pid_t pids[PROCS];
		int fds[2];
		char go = 0;

		snprintf(path, sizeof(path), "%s/shared%d.db", dir, round);
		assert_int_equal(pipe(fds), 0);
		for (int i = 0; i < PROCS; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				struct cast_roster *r = NULL;
				char id[16];
				int ok;

				close(fds[1]);
				/* All start together: the parent closes. */
				(void)!read(fds[0], &go, 1);
				ok = cast_roster_open(&r, path) == 0;
				snprintf(id, sizeof(id), "s%d", i);
				ok = ok && cast_roster_upsert_seen(r, id, id, "",
								   NULL, NULL,
								   NULL, 1) == 1;
				cast_roster_close(&r);
				if (!ok)
					fprintf(stderr, "process %d: %s", i,
						last_error);
				_exit(ok ? 0 : 1);
			}
		}
		close(fds[0]);
		close(fds[1]);
		for (int i = 0; i < PROCS; i++) {
			int status = 0;

			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		assert_int_equal(sql_int(path, "SELECT count(*) FROM students"),
				 PROCS);
	}
}
/* A student's identity into the roster by its seat id, and a roster row
 * back into an identity. */
static void identity_round_trip(void **state)
{
	struct cast_roster *r = NULL;
	struct cast_identity who = {0}, back;
	struct cast_roster_entry *e = calloc(1, sizeof(*e));

	(void)state;
	assert_non_null(e);
	assert_int_equal(cast_roster_open(&r, ":memory:"), 0);
	snprintf(who.id, sizeof(who.id), "s1#2");
	snprintf(who.presented_id, sizeof(who.presented_id), "s1");
	snprintf(who.name, sizeof(who.name), "李雷");
	snprintf(who.class_name, sizeof(who.class_name), "7B");
	snprintf(who.host, sizeof(who.host), "pc-12");
	snprintf(who.ip, sizeof(who.ip), "10.0.0.12");
	memcpy(who.mac, "\x02\xab\x00\x00\x00\x1f", 6);
	/* Keyed by the seat id, not the id presented nor the address. */
	assert_int_equal(cast_roster_seen(r, &who, 5000), 1);
	assert_int_equal(cast_roster_seen(r, &who, 6000), 0);
	assert_int_equal(cast_roster_get(r, "s1", e), CAST_ERROR(ENOENT));
	assert_int_equal(cast_roster_get(r, "s1#2", e), 0);
	assert_string_equal(e->mac, "02:ab:00:00:00:1f");
	assert_int_equal(e->last_seen_us, 6000);
	assert_int_equal(cast_roster_entry_identity(e, &back), 0);
	assert_string_equal(back.id, "s1#2");
	assert_string_equal(back.name, "李雷");
	assert_string_equal(back.class_name, "7B");
	assert_string_equal(back.host, "pc-12");
	assert_string_equal(back.ip, "10.0.0.12");
	assert_memory_equal(back.mac, who.mac, 6);
	/* A roster id longer than an identity holds: refused, not cut. */
	memset(e->id, 'x', 100);
	e->id[100] = '\0';
	memset(&back, 0x5a, sizeof(back));
	assert_int_equal(cast_roster_entry_identity(e, &back),
			 CAST_ERROR(ENAMETOOLONG));
	assert_int_equal((unsigned char)back.id[0], 0x5a);
	snprintf(e->id, sizeof(e->id), "s2");
	snprintf(e->mac, sizeof(e->mac), "zz");
	assert_int_equal(cast_roster_entry_identity(e, &back),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_roster_seen(r, NULL, 0), CAST_ERROR(EINVAL));
	cast_roster_close(&r);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(upsert_list_natural_sort, setup,
						teardown),
		cmocka_unit_test_setup_teardown(attendance_two_lessons, setup,
						teardown),
		cmocka_unit_test_setup_teardown(csv_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bad_csv_names_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(export_is_atomic, setup,
						teardown),
		cmocka_unit_test_setup_teardown(reopen_keeps_data, setup,
						teardown),
		cmocka_unit_test_setup_teardown(concurrent_open, setup,
						teardown),
		cmocka_unit_test_setup_teardown(identity_round_trip, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
