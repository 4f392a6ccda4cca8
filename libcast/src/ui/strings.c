/* The UI strings of the console and the student's screens, in zh_CN, en, zh_TW.
 */
#include <string.h>
#include <strings.h>

#include "cast/error.h"
#include "cast/ui.h"

/*
 * One C table rather than gettext catalogs (docs/console.md): the console
 * switches language live with no process-wide locale (setlocale and
 * $LANGUAGE are not thread-safe, and lab PCs often lack the generated
 * zh_* locales), a missing translation is a build-time test failure
 * (tests/unit/test_ui.c) rather than a silent English fallback, and the
 * library carries its strings without installed .mo files.
 */
static const char *const table[CAST_S_COUNT][CAST_LANG_COUNT] = {
    /* zh_CN, en, zh_TW */
    [CAST_S_TITLE] = {"教师控制台", "Teacher console", "教師控制台"},
    [CAST_S_LOCK] = {"锁屏", "Lock", "鎖定螢幕"},
    [CAST_S_UNLOCK] = {"解锁", "Unlock", "解除鎖定"},
    [CAST_S_MESSAGE] = {"消息", "Message", "訊息"},
    [CAST_S_MARQUEE] = {"滚动通知", "Marquee", "跑馬燈"},
    [CAST_S_WATERMARK] = {"水印", "Watermark", "浮水印"},
    [CAST_S_LANGUAGE] = {"语言", "Language", "語言"},
    [CAST_S_WEB] = {"网页", "Web page", "網頁"},
    [CAST_S_POWER] = {"电源", "Power", "電源"},
    [CAST_S_WAKE] = {"开机唤醒", "Wake", "網路喚醒"},
    [CAST_S_FILES] = {"发送文件", "Send files", "傳送檔案"},
    [CAST_S_HOMEWORK] = {"收作业", "Homework", "收作業"},
    [CAST_S_ATTENDANCE] = {"点名", "Roll call", "點名"},
    [CAST_S_MENU] = {"自定义菜单", "Custom menu", "自訂選單"},
    [CAST_S_SELECT_ALL] = {"全选", "Select all", "全選"},
    [CAST_S_SELECT_NONE] = {"取消选择", "Select none", "取消選取"},
    [CAST_S_POWER_OFF] = {"关机", "Shut down", "關機"},
    [CAST_S_POWER_RESTART] = {"重启", "Restart", "重新開機"},
    [CAST_S_WM_ID_NAME] = {"显示学号和姓名", "Show id and name",
                           "顯示學號和姓名"},
    [CAST_S_WM_OFF] = {"关闭水印", "Watermark off", "關閉浮水印"},
    [CAST_S_STUDENTS_LANG] = {"学生语言", "Students' language", "學生語言"},
    [CAST_S_CONSOLE_LANG] = {"界面语言", "Console language", "介面語言"},
    [CAST_S_ONLINE] = {"在线", "online", "線上"},
    [CAST_S_OFFLINE] = {"离线", "offline", "離線"},
    [CAST_S_SIGNED_IN] = {"已登录", "signed in", "已登入"},
    [CAST_S_HAND] = {"举手", "hand", "舉手"},
    [CAST_S_LOCKED] = {"已锁屏", "locked", "已鎖定"},
    [CAST_S_DEMO] = {"演示", "demo", "示範"},
    [CAST_S_LEFT] = {"离开广播", "left", "離開廣播"},
    [CAST_S_LOSS] = {"丢包", "loss", "掉包"},
    [CAST_S_NOT_RESPONDING] = {"无响应", "not responding", "無回應"},
    [CAST_S_CHANNEL] = {"频道", "channel", "頻道"},
    [CAST_S_STUDENTS_ONLINE] = {"在线", "online", "線上"},
    [CAST_S_BROADCASTING] = {"广播中", "broadcasting", "廣播中"},
    [CAST_S_NOT_BROADCASTING] = {"未广播", "not broadcasting", "未廣播"},
    [CAST_S_WORST_LOSS] = {"最差丢包", "worst loss", "最差掉包"},
    [CAST_S_PAGE] = {"页", "page", "頁"},
    [CAST_S_SELECTED] = {"已选", "selected", "已選"},
    [CAST_S_TO_ALL] = {"未选择时作用于全班", "nothing selected: acts on all",
                       "未選取時作用於全班"},
    [CAST_S_SETUP] = {"学生机设置", "Student setup", "學生機設定"},
    [CAST_S_SETUP_HINT] = {"在每台学生机上运行：",
                           "On each student PC run:", "在每台學生機上執行："},
    [CAST_S_HANDS_RAISED] = {"举手", "Hands raised", "舉手"},
    [CAST_S_NONE] = {"无", "none", "無"},
    [CAST_S_MESSAGES] = {"学生消息", "Messages", "學生訊息"},
    [CAST_S_ENTER_MESSAGE] = {"发送消息", "Send a message", "傳送訊息"},
    [CAST_S_ENTER_MARQUEE] = {"滚动通知内容", "Marquee text", "跑馬燈內容"},
    [CAST_S_ENTER_URL] = {"打开网页（http/https）",
                          "Open a web page (http/https)",
                          "開啟網頁（http/https）"},
    [CAST_S_ENTER_FILE] = {"要发送的文件路径", "File to send (path)",
                           "要傳送的檔案路徑"},
    [CAST_S_ENTER_FOLDER] = {"学生机上的作业文件夹",
                             "Homework folder on the student PCs",
                             "學生機上的作業資料夾"},
    [CAST_S_ENTER_HINT] = {"回车发送 · Esc 取消", "Enter sends · Esc cancels",
                           "Enter 傳送 · Esc 取消"},
    [CAST_S_SENT] = {"已发送", "sent", "已傳送"},
    [CAST_S_FAILED] = {"失败", "failed", "失敗"},
    [CAST_S_QUEUED_OFFLINE] = {"离线，已排队", "offline — queued",
                               "離線，已排隊"},
    [CAST_S_EMPTY_CLASS] = {"学生启动后会出现在这里",
                            "Students appear here as they start",
                            "學生啟動後會出現在這裡"},
    [CAST_S_SHOWN] = {"显示", "shown", "顯示"},
    [CAST_S_HIDDEN] = {"隐藏", "hidden", "隱藏"},
    [CAST_S_BAR] = {"浮动条", "Floating bar", "浮動列"},
    [CAST_S_CONSOLE] = {"控制台", "Console", "主控台"},
    [CAST_S_WHITEBOARD] = {"电子白板", "Whiteboard", "電子白板"},
    [CAST_S_RECORD] = {"录制", "Record", "錄製"},
    [CAST_S_VOICE] = {"语音广播", "Voice", "語音廣播"},
    [CAST_S_REC] = {"录制中", "rec", "錄製中"},
    [CAST_S_ENTER_BOARD_TEXT] = {"白板文字", "Text on the whiteboard",
                                 "白板文字"},
    [CAST_S_DRAWING] = {"绘图模式 (Esc 退出)", "Drawing (Esc leaves)",
                        "繪圖模式 (Esc 離開)"},
    [CAST_S_WALL] = {"监看", "Wall", "監看"},
    [CAST_S_DEMO_START] = {"学生示范", "Demo", "學生示範"},
    [CAST_S_DEMO_STOP] = {"停止示范", "Stop demo", "停止示範"},
    [CAST_S_CONTROL] = {"遥控", "Control", "遙控"},
    [CAST_S_CONTROL_STOP] = {"停止遥控", "Stop control", "停止遙控"},
    [CAST_S_PICK_ONE] = {"请先选择一名学生", "select one student first",
                         "請先選擇一名學生"},
    [CAST_S_CONTROLLING] = {"遥控中 (按住 Esc 1 秒退出)",
                            "Controlling (hold Esc 1 s to stop)",
                            "遙控中 (按住 Esc 1 秒離開)"},
    [CAST_S_BROADCAST] = {"屏幕广播", "Broadcast", "螢幕廣播"},
    [CAST_S_BROADCAST_START] = {"开始广播", "Start broadcast",
                                "開始廣播"},
    [CAST_S_BROADCAST_STOP] = {"停止广播", "Stop broadcast",
                               "停止廣播"},
    [CAST_S_PEN] = {"画笔", "Pen", "畫筆"},
    [CAST_S_HIGHLIGHTER] = {"荧光笔", "Highlighter", "螢光筆"},
    [CAST_S_LINE] = {"直线", "Line", "直線"},
    [CAST_S_ARROW] = {"箭头", "Arrow", "箭頭"},
    [CAST_S_RECT] = {"矩形", "Rectangle", "矩形"},
    [CAST_S_ELLIPSE] = {"椭圆", "Ellipse", "橢圓"},
    [CAST_S_TEXT] = {"文字", "Text", "文字"},
    [CAST_S_ERASER] = {"橡皮擦", "Eraser", "橡皮擦"},
    [CAST_S_RED] = {"红色", "Red", "紅色"},
    [CAST_S_BLUE] = {"蓝色", "Blue", "藍色"},
    [CAST_S_GREEN] = {"绿色", "Green", "綠色"},
    [CAST_S_YELLOW] = {"黄色", "Yellow", "黃色"},
    [CAST_S_THIN] = {"细线", "Thin", "細線"},
    [CAST_S_MEDIUM] = {"中等线宽", "Medium", "中等線寬"},
    [CAST_S_THICK] = {"粗线", "Thick", "粗線"},
    [CAST_S_UNDO] = {"撤销", "Undo", "復原"},
    [CAST_S_REDO] = {"重做", "Redo", "重做"},
    [CAST_S_CLEAR] = {"清除本页", "Clear the page", "清除本頁"},
    [CAST_S_PREV_PAGE] = {"上一页", "Previous page", "上一頁"},
    [CAST_S_NEXT_PAGE] = {"下一页", "Next page", "下一頁"},
    [CAST_S_NEW_PAGE] = {"新建页", "New page", "新增頁面"},
    [CAST_S_FILM] = {"影片", "Film", "影片"},
    [CAST_S_FILM_STOP] = {"停止影片", "Stop film", "停止影片"},
    [CAST_S_ENTER_FILM] = {"播放影片（文件路径或网址）",
                           "Play a film (file path or URL)",
                           "播放影片（檔案路徑或網址）"},
};

static const char *const codes[CAST_LANG_COUNT] = {"zh_CN", "en", "zh_TW"};
static const char *const names[CAST_LANG_COUNT] = {"简体中文", "English",
                                                   "繁體中文"};

const char *cast_ui_text(enum cast_lang lang, enum cast_ui_str s)
{
	const char *t;

	if ((unsigned)s >= CAST_S_COUNT)
		return "";
	if ((unsigned)lang >= CAST_LANG_COUNT)
		lang = CAST_LANG_EN;
	t = table[s][lang];
	return t ? t : "";
}

const char *cast_lang_code(enum cast_lang lang)
{
	return (unsigned)lang < CAST_LANG_COUNT ? codes[lang] : "en";
}

const char *cast_lang_name(enum cast_lang lang)
{
	return (unsigned)lang < CAST_LANG_COUNT ? names[lang] : "English";
}

int cast_lang_parse(const char *code)
{
	if (!code)
		return CAST_ERROR(EINVAL);
	/* Traditional script: Taiwan, Hong Kong, Macau. */
	if (!strncasecmp(code, "zh_TW", 5) || !strncasecmp(code, "zh_HK", 5) ||
	    !strncasecmp(code, "zh_MO", 5) || !strncasecmp(code, "zh-TW", 5) ||
	    !strncasecmp(code, "zh-Hant", 7))
		return CAST_LANG_ZH_TW;
	if (!strncasecmp(code, "zh", 2) && (code[2] == '\0' || code[2] == '_' ||
	                                    code[2] == '-' || code[2] == '.'))
		return CAST_LANG_ZH_CN;
	if (!strncasecmp(code, "en", 2) && (code[2] == '\0' || code[2] == '_' ||
	                                    code[2] == '-' || code[2] == '.'))
		return CAST_LANG_EN;
	return CAST_ERROR(EINVAL);
}
