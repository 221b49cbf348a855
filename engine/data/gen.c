/*
** gen.c — the synthetic snapshot generator of gen.h.
**
** How a snapshot is made:
**   1. The region layout: districts, streets and how many communities each
**      street has (stream LAYOUT), with Chinese names.
**   2. For each community in id order, its plan (stream PLAN): hidden quality
**      q in [0, 1], population, households and the staff roll with hire and
**      leave dates. Every table's rows are then drawn from the community's
**      own stream for that table and the plan, and queued; full batches of
**      rows go to SQLite through one multi-row INSERT per table, prepared
**      once (about 2.5 times faster than one statement per row).
**   3. The commit, then the file is published (publish.h): it appears
**      whole or not at all, and never over an existing file.
**
** Ids sort in insertion order (community ids are fixed-width codes, row ids
** append "-W01", "-A001", ... to them), so every B-tree, the schema's indexes
** included, is appended to at its right edge. Dates are day numbers (days
** since 1970-01-01) until formatted.
**
** How the values spread: most values are f(level) where level = q plus some
** noise, and f maps level 0.2 near an indicator's lower threshold and level
** 0.85 near its upper one (see each generator for its POLICY.md indicator).
*/
#include "gen.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "publish.h"
#include "snapshot.h"
#include "text.h"

/* The same bits on every machine: no fused multiply-add contraction (GCC
** contracts nothing in ISO C mode; clang must be told). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define DEFAULT_AS_OF  "2025-12-31"
#define DEFAULT_REGION "生成市"
#define SOURCE         "kaohe gen"

#define MAX_WORKERS  96  /* staff roll of one community, ids -W01 .. -W96 */
#define MAX_EVENTS   400 /* activities of one community */
#define MAX_POSTINGS 400 /* postings of one community */
#define NAME_SIZE    64  /* bytes of a generated name */
#define TEXT_SIZE    256 /* bytes of a generated title or detail */

/* Random streams: each (stream, community) pair has its own generator. */
enum {
    STREAM_LAYOUT = 1,
    STREAM_PLAN,
    STREAM_COMMUNITY,
    STREAM_WORKERS,
    STREAM_VISITS,
    STREAM_ORGANIZATIONS,
    STREAM_ACTIVITIES,
    STREAM_POSTINGS,
    STREAM_SURVEY,
    STREAM_REQUESTS,
    STREAM_TASKS,
    STREAM_TASK_ORDER,
    STREAM_FACTS,
    STREAM_STREET
};

/* ---------------------------------------------------------------------------
** Random numbers: xoshiro256** seeded through splitmix64.
*/

typedef struct rng {
    uint64_t s[4]; /* xoshiro256** state, never all zero */
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Seeds `r` for one (stream, index) pair of the run's seed. */
static void rng_seed(rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
    uint64_t x = seed;
    uint64_t h = splitmix64(&x);
    int i;
    x = h ^ (stream << 48) ^ index;
    h = splitmix64(&x);
    x = h;
    for (i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1). */
static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [low, high]; low when high < low. */
static long rng_range(rng *r, long low, long high)
{
    uint64_t span;
    if (high <= low)
        return low;
    span = (uint64_t)(high - low) + 1;
    return low + (long)(((rng_next(r) >> 32) * span) >> 32);
}

static int rng_chance(rng *r, double p)
{
    return rng_unit(r) < p;
}

static double rng_uniform(rng *r, double low, double high)
{
    return low + (high - low) * rng_unit(r);
}

/* About N(0, 1): the sum of four uniforms, rescaled (no libm, so the same
** bits everywhere; bounded by ±3.46, which suits data that has limits). */
static double rng_normal(rng *r)
{
    double sum = rng_unit(r);
    sum += rng_unit(r);
    sum += rng_unit(r);
    sum += rng_unit(r);
    return (sum - 2.0) * 1.7320508075688772;
}

/* Triangular distribution on [low, high] with the given mode. */
static double rng_triangular(rng *r, double low, double high, double mode)
{
    double u = rng_unit(r);
    double c = (mode - low) / (high - low);
    if (u < c)
        return low + sqrt(u * (high - low) * (mode - low));
    return high - sqrt((1.0 - u) * (high - low) * (high - mode));
}

/* Index chosen with the given integer weights. */
static int rng_weighted(rng *r, const int *weights, int count)
{
    int total = 0, i;
    long pick;
    for (i = 0; i < count; i++)
        total += weights[i];
    pick = rng_range(r, 0, total - 1);
    for (i = 0; i < count; i++) {
        pick -= weights[i];
        if (pick < 0)
            return i;
    }
    return count - 1;
}

static double clamp(double x, double low, double high)
{
    return x < low ? low : x > high ? high : x;
}

static long round_long(double x)
{
    return (long)floor(x + 0.5);
}

/* x rounded to `places` decimals (1 or 2 or 3), as the nearest double. */
static double round_to(double x, int places)
{
    double scale = places == 1 ? 10.0 : places == 2 ? 100.0 : 1000.0;
    return (double)round_long(x * scale) / scale;
}

/* ---------------------------------------------------------------------------
** Dates as day numbers (days since 1970-01-01, proleptic Gregorian).
*/

static long days_from_civil(long y, long m, long d)
{
    long era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, long *year, long *month, long *day)
{
    long era, doe, yoe, doy, mp, y;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp + (mp < 10 ? 3 : -9);
    *year = y + (*month <= 2);
}

/* The day `years` years after `day`; 29 February becomes 28 February. */
static long add_years(long day, long years)
{
    long y, m, d;
    civil_from_days(day, &y, &m, &d);
    y += years;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        d = 28;
    return days_from_civil(y, m, d);
}

static void put_digits(char *out, long value, int width)
{
    while (width-- > 0) {
        out[width] = (char)('0' + value % 10);
        value /= 10;
    }
}

/* Writes YYYY-MM-DD and a NUL into out[11]. */
static void format_date(long day, char out[11])
{
    long y, m, d;
    civil_from_days(day, &y, &m, &d);
    put_digits(out, y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = '\0';
}

/* ---------------------------------------------------------------------------
** Text pools. Character pools hold CJK characters only (3 bytes each in
** UTF-8); pool_pick() returns the k-th.
*/

static const char DISTRICT_FIRST[] = "东西南北中新松桂青金泰康永长龙凤云天明光庆昌德福嘉瑞富临清高";
static const char DISTRICT_SECOND[] = "城湖山江河海州阳平安宁兴华丰源川台林港岭桥塘门关口坪";
static const char STREET_FIRST[] = "东西南北中新老前后上下大小长金银铜玉石竹梅兰菊松柏杨柳桃李"
                                   "花园林泉溪湖滨港湾沙洲岛山岭峰坡岗塘桥河渠井田庄";
static const char STREET_SECOND[] = "门关口街巷城堡湾沟坪岗寨营埠店桥塘园苑亭楼台阁墩头里坊";
static const char COMMUNITY_FIRST[] = "福泰海观望听金银蓝鸥帆灯渔贝东青翠桂玉湖柳荷清怡新和育长兴"
                                      "阳春康嘉锦安文松凤云枫梧紫丰永景泉书锦华瑞祥富雅馨逸";
static const char COMMUNITY_SECOND[] = "泰韵澜潮涛沙滩湾鹭影塔舟晨山云竹园兰光岸塘波景华平才安业"
                                       "晖乐禾绣居昌峰林桐荆泽宁和苑水香寿苑庭";
static const char SURNAMES[] = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭"
                               "曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖"
                               "贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
                               "武戴孔汤";
static const char GIVEN[] = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玲红建国文辉鹏斌宇"
                            "浩凯婷雪琳晶燕萍宁波倩颖欣悦佳琪晨阳海峰亮鑫蕾丹志新春秀兰凤玉梅"
                            "琴云莉慧雯瑞博睿彤昊轩涵晓东";

/* Street names found in many cities, so that names repeat across districts. */
static const char *const COMMON_STREETS[] = {
    "新华街道", "人民路街道", "解放路街道", "中山路街道", "城关镇",   "东关街道",
    "西关街道", "建设路街道", "和平街道",   "胜利街道",   "红旗街道", "光明街道",
    "向阳街道", "文化路街道", "站前街道",   "滨河街道",
};
#define COMMON_STREET_COUNT (sizeof COMMON_STREETS / sizeof COMMON_STREETS[0])

static const char *const COMMUNITY_SUFFIXES[] = {"社区",   "社区",   "社区",     "里社区",
                                                 "苑社区", "园社区", "花园社区", "新村社区"};
static const int COMMUNITY_SUFFIX_WEIGHTS[] = {40, 15, 15, 8, 8, 8, 3, 3};

static size_t pool_size(const char *pool)
{
    return strlen(pool) / 3;
}

/* Appends the k-th character of `pool` at out + *length. */
static void pool_put(char *out, size_t *length, const char *pool, size_t k)
{
    memcpy(out + *length, pool + 3 * (k % pool_size(pool)), 3);
    *length += 3;
    out[*length] = '\0';
}

static void pool_pick(rng *r, char *out, size_t *length, const char *pool)
{
    pool_put(out, length, pool, (size_t)rng_range(r, 0, (long)pool_size(pool) - 1));
}

/* Appends `text` at out + *length, within `size` bytes. */
static void text_put(char *out, size_t *length, size_t size, const char *text)
{
    size_t n = strlen(text);
    if (*length + 1 >= size)
        return;
    if (*length + n >= size)
        n = size - 1 - *length;
    memcpy(out + *length, text, n);
    *length += n;
    out[*length] = '\0';
}

static const char *const ROLES[] = {"secretary", "director", "fulltime", "grid"};
enum { ROLE_SECRETARY, ROLE_DIRECTOR, ROLE_FULLTIME, ROLE_GRID };

static const char *const REASONS[] = {NULL, "eliminated", "resigned", "retired", "transferred"};
enum { REASON_NONE, REASON_ELIMINATED, REASON_RESIGNED, REASON_RETIRED, REASON_TRANSFERRED };

static const char *const EDUCATION[] = {"postgraduate", "bachelor", "college", "highschool",
                                        "other"};
static const char *const CERT_LEVELS[] = {"assistant", "intermediate", "senior"};

static const char *const ORG_KINDS[] = {"culture", "volunteer", "elderly",
                                        "sports",  "charity",   "other"};
static const int ORG_KIND_WEIGHTS[] = {26, 22, 16, 16, 10, 10};
static const char *const ORG_SUFFIXES[][6] = {
    {"合唱团", "书画社", "舞蹈队", "京剧票友会", "摄影协会", "读书会"},
    {"志愿服务队", "巾帼志愿队", "党员先锋队", "平安巡逻队", "环保志愿队", "助老志愿队"},
    {"老年协会", "银龄互助社", "夕阳红服务队", "老年大学学习班", "长者食堂互助组", "老年棋牌社"},
    {"太极拳协会", "健身队", "乒乓球协会", "门球队", "广场舞队", "跑步俱乐部"},
    {"爱心互助会", "慈善超市服务队", "邻里互助社", "助学帮扶会", "爱心储蓄站", "扶残助困会"},
    {"家长学校", "业主议事会", "妇女儿童之家", "青少年服务社", "红白理事会", "调解工作室"},
};
static const char *const ORG_RATINGS[] = {"A", "AA", "AAA", "AAAA", "AAAAA"};
static const int ORG_RATING_WEIGHTS[] = {15, 30, 35, 15, 5};

static const char *const PARTNERS[] = {
    "市第一中学",   "供电公司",   "市人民医院", "消防救援站", "中国银行支行", "区税务局",
    "职业技术学院", "自来水公司", "辖区派出所", "燃气公司",   "实验小学",     "港务集团",
    "市图书馆",     "日报社",     "移动公司",   "区法院",     "区检察院",     "妇幼保健院",
};
#define PARTNER_COUNT (sizeof PARTNERS / sizeof PARTNERS[0])

static const char *const CHANNELS_POSTING[] = {"wechat", "website", "board"};
static const int CHANNEL_POSTING_WEIGHTS[] = {55, 25, 20};
static const char *const CHANNELS_REQUEST[] = {"wish", "proposal", "hotline", "whistle"};
static const int CHANNEL_REQUEST_WEIGHTS[] = {25, 20, 40, 15};

/* Activity kinds and participant ranges (low, high) per event. */
enum { ACT_CONSULTATION, ACT_VOLUNTEER, ACT_RESIDENT, ACT_CULTURE, ACT_CO_BUILDING, ACT_CIVILITY };
static const char *const ACTIVITY_KINDS[] = {"consultation", "volunteer",   "resident",
                                             "culture",      "co_building", "civility"};
static const double ACTIVITY_PARTICIPANTS[][2] = {{10, 45},  {10, 90},  {20, 300},
                                                  {20, 300}, {30, 200}, {15, 150}};

/* Fact keys of POLICY.md §1, in key order (the facts primary key). */
enum {
    FACT_AMENITY_TYPES,
    FACT_BANNED_CERTIFICATES,
    FACT_BLIGHT_SPOTS,
    FACT_COMPOUNDS,
    FACT_COMPOUNDS_MANAGED,
    FACT_ENV_ISSUES,
    FACT_ENV_ISSUES_CLOSED,
    FACT_FACILITIES_OK,
    FACT_PLATES,
    FACT_PUBLIC_SERVICE_ITEMS,
    FACT_REGISTERED_VOLUNTEERS,
    FACT_SERVICE_AREA,
    FACT_SERVICE_WINDOWS,
    FACT_VALID_COMPLAINTS,
    FACT_WASTE_SORT_ACCURACY,
    FACT_COUNT
};
static const char *const FACT_KEYS[FACT_COUNT] = {
    "amenity_types",
    "banned_certificates_issued",
    "blight_spots",
    "compounds",
    "compounds_managed",
    "env_issues",
    "env_issues_closed_7d",
    "facilities_ok_ratio",
    "plates",
    "public_service_items",
    "registered_volunteers",
    "service_area_m2",
    "service_windows",
    "valid_complaints",
    "waste_sort_accuracy",
};

/* ---------------------------------------------------------------------------
** Task catalogue: for each admission.tsv entry, titles that it decides
** (deny entries first match; allow entries match the title only). A task
** with a detail listed here hits its entry through the detail.
*/

typedef struct task_template {
    const char *department; /* 发文部门 */
    const char *title;
    const char *detail; /* NULL = a routine detail */
} task_template;

typedef struct task_entry {
    const char *id; /* admission.tsv id, for reading only */
    task_template variants[3];
} task_entry;

static const task_entry DENY_TASKS[] = {
    {"N01",
     {{"政务服务中心", "推广下载政务APP", NULL},
      {"大数据局", "组织居民注册“随手拍”小程序", NULL},
      {"政务服务中心", "关于做好数字政务推广工作的通知",
       "请组织辖区居民下载安装政务APP，每户不少于1人"}}},
    {"N02",
     {{"宣传部", "组织居民关注区融媒体公众号", NULL},
      {"融媒体中心", "动员党员群众关注“城市发布”视频号", NULL},
      {"宣传部", "关注政务抖音号转发任务", NULL}}},
    {"N03",
     {{"综治办", "平安建设工作站挂牌", NULL},
      {"公安分局", "警务工作制度上墙", NULL},
      {"妇联", "妇女儿童之家统一挂牌", NULL}}},
    {"N04",
     {{"商务局", "协助开展招商引资信息摸排", NULL},
      {"税务局", "协税护税宣传及信息采集", NULL},
      {"发改局", "社区经济创收任务分解", NULL}}},
    {"N05",
     {{"宣传部", "征订年度报刊", NULL},
      {"宣传部", "订阅党报报纸任务分解", NULL},
      {"文明办", "征订文明创建杂志", NULL}}},
    {"N06",
     {{"金融办", "协助推销意外伤害保险", NULL},
      {"保险公司", "销售居民家庭财产保险", NULL},
      {"金融办", "协助推销意外伤害保险", NULL}}},
    {"N07",
     {{"城管局", "配合开展违法建设拆违攻坚", NULL},
      {"城管局", "城管执法进小区专项行动", NULL},
      {"住建局", "征收片区拆迁动员", NULL}}},
    {"N08",
     {{"应急管理局", "签订安全生产责任状", NULL},
      {"综治办", "平安建设一票否决责任落实", NULL},
      {"环保局", "签订环境保护责任状", NULL}}},
    {"N09",
     {{"文明办", "文明城市创建考核延伸到社区", NULL},
      {"卫健委", "卫生城市复审检查下沉至社区", NULL},
      {"教育局", "书香家庭评比延伸至社区", NULL}}},
    {"N10",
     {{"卫健委", "疫苗接种进度每日重复填报", NULL},
      {"应急管理局", "防汛值班突击签到", NULL},
      {"统计局", "人口信息报表", "请各社区多头报送至区统计局、街道和派出所"}}},
    {"N11",
     {{"公安分局", "为居民出具亲属关系证明", NULL},
      {"人社局", "开具居民就业状况证明", NULL},
      {"公安分局", "出具无犯罪记录证明", NULL}}},
    {"N12",
     {{"住建局", "协助催缴物业费", NULL},
      {"广电网络公司", "代收有线电视欠款", NULL},
      {"水务公司", "水电费催缴通知入户", NULL}}},
};
static const task_entry DUTY_TASKS[] = {
    {"L01",
     {{"民政局", "召开居民代表会议审议年度民生实事", NULL},
      {"民政局", "组织召开居民会议讨论加装电梯", NULL},
      {"街道办", "居民代表会议换届准备", NULL}}},
    {"L02",
     {{"司法局", "开展宪法普法宣传进小区", NULL},
      {"民政局", "惠民政策宣传进楼院", NULL},
      {"司法局", "民法典法律宣传月活动", NULL}}},
    {"L03",
     {{"司法局", "邻里纠纷排查化解", NULL},
      {"司法局", "人民调解员业务培训", NULL},
      {"信访局", "矛盾纠纷多元化解", NULL}}},
    {"L04",
     {{"民政局", "居务公开栏季度更新", NULL},
      {"民政局", "组织社区工作者民主评议", NULL},
      {"发改局", "水价调整居民听证会组织", NULL}}},
    {"L05",
     {{"文明办", "开展学雷锋志愿服务活动", NULL},
      {"民政局", "便民服务进小区", NULL},
      {"团委", "青年志愿服务结对", NULL}}},
    {"L06",
     {{"住建局", "指导老旧小区成立业主委员会", NULL},
      {"住建局", "物业服务质量满意度测评", NULL},
      {"住建局", "业委会换届选举指导", NULL}}},
};
static const task_entry ASSIST_TASKS[] = {
    {"X01",
     {{"民政局", "低保家庭年度入户核查", NULL},
      {"民政局", "临时救助对象走访核实", NULL},
      {"民政局", "特困供养人员生活状况调查", NULL}}},
    {"X02",
     {{"人社局", "失业登记信息核对", NULL},
      {"人社局", "就业困难人员摸底登记", NULL},
      {"人社局", "高校毕业生再就业帮扶", NULL}}},
    {"X03",
     {{"医保局", "城乡居民医保参保扩面", NULL},
      {"人社局", "养老保险待遇资格认证", NULL},
      {"人社局", "社会保障卡信息采集", NULL}}},
    {"X04",
     {{"退役军人事务局", "退役军人信息采集", NULL},
      {"退役军人事务局", "重点优抚对象春节走访", NULL},
      {"退役军人事务局", "退役军人服务站规范化建设", NULL}}},
    {"X05",
     {{"卫健委", "流感疫苗接种动员", NULL},
      {"卫健委", "健康教育讲座进社区", NULL},
      {"疾控中心", "公共卫生服务登记", NULL}}},
    {"X06",
     {{"司法局", "社区矫正对象日常走访", NULL},
      {"司法局", "刑满释放人员安置帮教", NULL},
      {"司法局", "社区矫正对象日常走访", NULL}}},
    {"X07",
     {{"残联", "残疾人两项补贴资格复核", NULL},
      {"民政局", "高龄津贴发放资格认证", NULL},
      {"老龄办", "老年人助餐服务登记", NULL}}},
    {"X08",
     {{"统计局", "第五次全国经济普查数据核对", NULL},
      {"统计局", "住户收支统计调查样本户联络", NULL},
      {"区统计局", "人口普查摸底登记", NULL}}},
};
/* Titles on no list; the last looks like X08 but comes from a department
** that X08's department pattern (统计) does not accept. */
static const task_template UNLISTED_TASKS[] = {
    {"应急管理局", "燃气安全隐患排查", NULL},     {"总工会", "春节走访慰问困难群众", NULL},
    {"文明办", "创建全国文明城市入户宣传", NULL}, {"消防救援大队", "电动自行车充电隐患排查", NULL},
    {"公安分局", "反诈宣传进楼院", NULL},         {"应急管理局", "防汛应急物资清点", NULL},
    {"民政局", "配合人口普查入户登记", NULL},
};
#define DENY_COUNT     (sizeof DENY_TASKS / sizeof DENY_TASKS[0])
#define DUTY_COUNT     (sizeof DUTY_TASKS / sizeof DUTY_TASKS[0])
#define ASSIST_COUNT   (sizeof ASSIST_TASKS / sizeof ASSIST_TASKS[0])
#define UNLISTED_COUNT (sizeof UNLISTED_TASKS / sizeof UNLISTED_TASKS[0])

static const char *const ROUTINE_DETAILS[] = {
    NULL,
    NULL,
    "请于月底前完成",
    "按街道统一部署执行",
    "具体要求见附件",
    "请各社区认真落实",
    "请指定专人负责",
    "完成后报街道备案",
};
#define ROUTINE_DETAIL_COUNT (sizeof ROUTINE_DETAILS / sizeof ROUTINE_DETAILS[0])

/* Round-robin over the entries of one list, so that a region of a few dozen
** communities already decides a task by every entry. */
typedef struct task_cycle {
    const task_entry *entries;
    int count;
    int order[16]; /* entry indexes, shuffled once per run */
    long next;     /* tasks drawn so far */
} task_cycle;

/* ---------------------------------------------------------------------------
** Region layout and community plans.
*/

typedef struct street {
    long district;        /* index into the district names */
    long number;          /* 1-based number within the district (id digits) */
    long first;           /* index of its first community */
    long count;           /* communities */
    char name[NAME_SIZE]; /* e.g. 松涛街道 */
} street;

typedef struct layout {
    long district_count;
    char (*districts)[NAME_SIZE]; /* district names */
    long street_count;
    street *streets;
    int district_digits; /* width of the district number in community ids */
} layout;

typedef struct worker_plan {
    long birth, hire; /* day numbers */
    long left;        /* day number, or -1 while active */
    int role;         /* ROLE_* */
    int reason;       /* REASON_* (REASON_NONE while active) */
} worker_plan;

typedef struct plan {
    long index;  /* 0-based community number */
    char id[32]; /* community id */
    size_t id_length;
    const street *street;
    double q;        /* hidden quality in [0, 1] */
    long population; /* true values, before any reporting gap */
    long households;
    int worker_count;
    worker_plan workers[MAX_WORKERS];
    char name[NAME_SIZE]; /* community name */
    char stem[NAME_SIZE]; /* name without 社区, for organization names */
} plan;

/* Rows inserted by one multi-row INSERT. */
#define BATCH_ROWS 32

/* One recorded column value. */
typedef struct cell {
    int type;          /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT or SQLITE_TEXT */
    long long integer; /* SQLITE_INTEGER */
    double real;       /* SQLITE_FLOAT */
    size_t offset;     /* SQLITE_TEXT: bytes at arena + offset */
    size_t length;
} cell;

/* Pending rows of one table. */
typedef struct batch {
    sqlite3_stmt *many; /* INSERT of BATCH_ROWS rows */
    sqlite3_stmt *one;  /* INSERT of one row */
    int columns;
    int pending;       /* rows recorded and not yet inserted */
    cell *values;      /* BATCH_ROWS * columns, row by row */
    char *arena;       /* text of the pending rows */
    size_t used, size; /* bytes of arena used and allocated */
    int failed;        /* the arena could not grow */
} batch;

/* One activity before sorting by date. */
typedef struct event {
    long day;
    int kind;
    int has_participants; /* 0 = NULL */
    long participants;
    int partner;  /* index into PARTNERS, -1 = NULL */
    int sequence; /* tie-breaker: draw order */
} event;

/* The generator's state. */
typedef struct gen {
    const gen_options *options;
    uint64_t seed;
    long year;       /* assessment year */
    long year_start; /* day number of Y-01-01 */
    long as_of;      /* day number of as_of */
    long months;     /* months of the year whose first day is <= as_of */
    layout layout;
    sqlite3 *db;
    batch batches[GEN_TABLES];
    int table; /* table of the row being recorded */
    long long rows[GEN_TABLES];
    task_cycle deny, duty, assist;
    long unlisted_next;
    plan plan;
    event events[MAX_EVENTS];
    long postings[MAX_POSTINGS];
    char id[48];             /* row id being written */
    char text[4][TEXT_SIZE]; /* text columns being written */
    error *e;
} gen;

static const char *const TABLE_NAMES[GEN_TABLES] = {
    "snapshot_meta", "communities",      "workers",  "organizations", "activities", "visits",
    "postings",      "survey_responses", "requests", "tasks",         "facts",
};

/* The INSERT of each table up to VALUES, and its number of columns. */
static const char *const INSERT_SQL[GEN_TABLES] = {
    "INSERT INTO snapshot_meta (key, value)",
    "INSERT INTO communities (id, name, district, street, area_km2, population, households, "
    "floating_population, minority_population)",
    "INSERT INTO workers (id, community_id, name, birth_date, hire_date, role, education, "
    "cert_level, cert_date, training_hours, score_civil, score_community, score_residents, "
    "status, left_date, left_reason)",
    "INSERT INTO organizations (id, community_id, name, kind, registered, evaluated, rating)",
    "INSERT INTO activities (id, community_id, held_on, kind, participants, partner)",
    "INSERT INTO visits (worker_id, month, assigned, visited)",
    "INSERT INTO postings (id, community_id, posted_on, channel)",
    "INSERT INTO survey_responses (id, community_id, satisfied, score)",
    "INSERT INTO requests (id, community_id, received_on, resolved_on, channel)",
    "INSERT INTO tasks (id, community_id, department, title, detail, received_on, approval_ref, "
    "funded, staffed)",
    "INSERT INTO facts (community_id, key, value)",
};
static const int INSERT_COLUMNS[GEN_TABLES] = {2, 9, 16, 7, 6, 4, 4, 4, 5, 9, 3};

const char *gen_table_name(int table)
{
    return table >= 0 && table < GEN_TABLES ? TABLE_NAMES[table] : NULL;
}

/* ---------------------------------------------------------------------------
** Rows. A row's columns are recorded (text copied into an arena), and rows
** are inserted BATCH_ROWS at a time through one multi-row INSERT per table,
** which costs SQLite far less per row than one statement per row; rows left
** at the end go through the single-row INSERT. Both statements are prepared
** once. Failures are reported by row_end() and batch_flush().
*/

static void row_begin(gen *g, int table)
{
    g->table = table;
}

/* The slot of `column` (1-based) in the current table's pending row. */
static cell *slot(gen *g, int column)
{
    batch *b = &g->batches[g->table];
    return &b->values[b->pending * b->columns + column - 1];
}

/* Records text (NULL records NULL), copied: the caller may reuse its buffer. */
static void col_text(gen *g, int column, const char *text)
{
    batch *b = &g->batches[g->table];
    cell *v = slot(g, column);
    size_t length;
    v->type = SQLITE_NULL;
    if (text == NULL)
        return;
    length = strlen(text);
    if (b->used + length > b->size) {
        size_t size = 2 * b->size + length;
        char *grown = realloc(b->arena, size);
        if (grown == NULL) {
            b->failed = 1;
            return;
        }
        b->arena = grown;
        b->size = size;
    }
    memcpy(b->arena + b->used, text, length);
    v->type = SQLITE_TEXT;
    v->offset = b->used;
    v->length = length;
    b->used += length;
}

/* Records an integer, or NULL when `present` is false. */
static void col_int_or_null(gen *g, int column, int present, long long number)
{
    cell *v = slot(g, column);
    v->type = present ? SQLITE_INTEGER : SQLITE_NULL;
    v->integer = number;
}

static void col_int(gen *g, int column, long long number)
{
    col_int_or_null(g, column, 1, number);
}

static void col_real_or_null(gen *g, int column, int present, double number)
{
    cell *v = slot(g, column);
    v->type = present ? SQLITE_FLOAT : SQLITE_NULL;
    v->real = number;
}

/* Binds `count` pending rows of `table` from row `first` to `statement`
** (parameters numbered row by row) and runs it once. Returns ERROR_OK or
** ERROR_SYSTEM. */
static int batch_run(gen *g, int table, sqlite3_stmt *statement, int first, int count)
{
    batch *b = &g->batches[table];
    int i, rc = SQLITE_OK;
    for (i = 0; i < count * b->columns && rc == SQLITE_OK; i++) {
        const cell *v = &b->values[first * b->columns + i];
        switch (v->type) {
        case SQLITE_TEXT:
            rc = sqlite3_bind_text(statement, i + 1, b->arena + v->offset, (int)v->length,
                                   SQLITE_STATIC);
            break;
        case SQLITE_INTEGER:
            rc = sqlite3_bind_int64(statement, i + 1, v->integer);
            break;
        case SQLITE_FLOAT:
            rc = sqlite3_bind_double(statement, i + 1, v->real);
            break;
        default:
            rc = sqlite3_bind_null(statement, i + 1);
        }
    }
    if (rc != SQLITE_OK)
        return error_set(g->e, ERROR_SYSTEM, "cannot bind a row of %s: %s", TABLE_NAMES[table],
                         sqlite3_errstr(rc));
    rc = sqlite3_step(statement);
    if (rc != SQLITE_DONE) {
        error_set(g->e, ERROR_SYSTEM, "cannot insert into %s: %s", TABLE_NAMES[table],
                  sqlite3_errmsg(g->db));
        sqlite3_reset(statement);
        return ERROR_SYSTEM;
    }
    rc = sqlite3_reset(statement);
    if (rc != SQLITE_OK)
        return error_set(g->e, ERROR_SYSTEM, "cannot reset the insert into %s: %s",
                         TABLE_NAMES[table], sqlite3_errmsg(g->db));
    return ERROR_OK;
}

/* Inserts the pending rows of `table`: a full batch at once, fewer one by
** one. Returns ERROR_OK or ERROR_SYSTEM. */
static int batch_flush(gen *g, int table)
{
    batch *b = &g->batches[table];
    int i, status = ERROR_OK;
    if (b->pending == BATCH_ROWS)
        status = batch_run(g, table, b->many, 0, BATCH_ROWS);
    else
        for (i = 0; i < b->pending && status == ERROR_OK; i++)
            status = batch_run(g, table, b->one, i, 1);
    if (status == ERROR_OK)
        g->rows[table] += b->pending;
    b->pending = 0;
    b->used = 0;
    return status;
}

/* Ends the row being recorded. Returns ERROR_OK or ERROR_SYSTEM (message in
** g->e). */
static int row_end(gen *g)
{
    batch *b = &g->batches[g->table];
    if (b->failed)
        return error_set(g->e, ERROR_SYSTEM, "out of memory");
    b->pending++;
    return b->pending == BATCH_ROWS ? batch_flush(g, g->table) : ERROR_OK;
}

/* Writes the row id "<community>-<tag><number>" into g->id. */
static const char *row_id(gen *g, char tag, long number, int width)
{
    size_t n = g->plan.id_length;
    memcpy(g->id, g->plan.id, n);
    g->id[n++] = '-';
    g->id[n++] = tag;
    put_digits(g->id + n, number, width);
    g->id[n + (size_t)width] = '\0';
    return g->id;
}

/* ---------------------------------------------------------------------------
** Region layout: about N/200 districts (at least 1) and N/12 streets (at
** least one per district), community counts drawn around the mean.
*/

/* Splits `total` items into `parts` counts with random weights in [0.5, 1.5],
** each at least `minimum` (callers ensure total >= parts * minimum). Integer
** arithmetic only. counts[] has `parts` slots. */
static void split_counts(rng *r, long total, long parts, long minimum, long *counts)
{
    long long sum = 0, cumulative = 0;
    long i, given = 0;
    for (i = 0; i < parts; i++) {
        counts[i] = rng_range(r, 500, 1500);
        sum += counts[i];
    }
    for (i = 0; i < parts; i++) {
        long end;
        cumulative += counts[i];
        end = (long)(((long long)total * cumulative + sum / 2) / sum);
        counts[i] = end - given;
        given = end;
    }
    /* Move items so that every part has the minimum. */
    for (i = 0; i < parts; i++) {
        long j;
        for (j = 0; counts[i] < minimum && j < parts; j++) {
            while (counts[i] < minimum && counts[j] > minimum) {
                counts[j]--;
                counts[i]++;
            }
        }
    }
}

/* District name number k: a unique pair of characters while pairs last,
** then the pair with a number. */
static void district_name(rng *r, long k, char out[NAME_SIZE])
{
    size_t a = pool_size(DISTRICT_FIRST), b = pool_size(DISTRICT_SECOND);
    size_t pairs = a * b;
    size_t p = (size_t)((unsigned long)(k * 7919L + 13) % pairs);
    size_t length = 0;
    out[0] = '\0';
    pool_put(out, &length, DISTRICT_FIRST, p / b);
    pool_put(out, &length, DISTRICT_SECOND, p % b);
    if ((size_t)k >= pairs)
        length += (size_t)snprintf(out + length, NAME_SIZE - length, "%ld", k / (long)pairs + 1);
    text_put(out, &length, NAME_SIZE, rng_chance(r, 0.15) ? "县" : "区");
}

/* A street name unique within its district (streets[first .. first+count)). */
static void street_name(rng *r, street *streets, long first, long count, char out[NAME_SIZE])
{
    int attempt;
    for (attempt = 0; attempt < 40; attempt++) {
        size_t length = 0;
        long i;
        int taken = 0;
        out[0] = '\0';
        if (rng_chance(r, 0.18)) {
            text_put(out, &length, NAME_SIZE,
                     COMMON_STREETS[rng_range(r, 0, (long)COMMON_STREET_COUNT - 1)]);
        } else {
            pool_pick(r, out, &length, STREET_FIRST);
            pool_pick(r, out, &length, STREET_SECOND);
            text_put(out, &length, NAME_SIZE, rng_chance(r, 0.2) ? "镇" : "街道");
        }
        if (attempt >= 30)
            snprintf(out + length, NAME_SIZE - length, "%d", attempt);
        for (i = first; i < first + count && !taken; i++)
            taken = strcmp(streets[i].name, out) == 0;
        if (!taken)
            return;
    }
}

static void layout_free(layout *l)
{
    free(l->districts);
    free(l->streets);
    memset(l, 0, sizeof *l);
}

/* Fills g->layout. Returns ERROR_OK or ERROR_SYSTEM (out of memory). */
static int layout_build(gen *g)
{
    layout *l = &g->layout;
    long n = g->options->communities;
    long *per_district = NULL, *per_street = NULL;
    long d, s, first_street = 0, first_community = 0;
    rng r;
    int status = ERROR_OK;
    rng_seed(&r, g->seed, STREAM_LAYOUT, 0);
    l->district_count = round_long((double)n / 200.0);
    if (l->district_count < 1)
        l->district_count = 1;
    l->street_count = round_long((double)n / 12.0);
    if (l->street_count < l->district_count)
        l->street_count = l->district_count;
    if (l->street_count > n)
        l->street_count = n;
    l->district_digits = 4;
    for (d = 10000; d <= l->district_count; d *= 10)
        l->district_digits++;
    l->districts = calloc((size_t)l->district_count, sizeof *l->districts);
    l->streets = calloc((size_t)l->street_count, sizeof *l->streets);
    per_district = calloc((size_t)l->district_count, sizeof *per_district);
    per_street = calloc((size_t)l->street_count, sizeof *per_street);
    if (l->districts == NULL || l->streets == NULL || per_district == NULL || per_street == NULL) {
        status = error_set(g->e, ERROR_SYSTEM, "out of memory planning %ld communities", n);
        goto done;
    }
    split_counts(&r, l->street_count, l->district_count, 1, per_district);
    split_counts(&r, n, l->street_count, 1, per_street);
    for (d = 0; d < l->district_count; d++) {
        district_name(&r, d, l->districts[d]);
        for (s = 0; s < per_district[d]; s++) {
            street *st = &l->streets[first_street + s];
            st->district = d;
            st->number = s + 1;
            st->first = first_community;
            st->count = per_street[first_street + s];
            first_community += st->count;
            street_name(&r, l->streets, first_street, s, st->name);
        }
        first_street += per_district[d];
    }
done:
    free(per_district);
    free(per_street);
    return status;
}

/* ---------------------------------------------------------------------------
** The plan of one community.
*/

/* A level in [0, 1] around the community's quality. */
static double level(rng *r, double q, double noise)
{
    return clamp(q + noise * rng_normal(r), 0.0, 1.0);
}

/* Draws one staff member: dates follow the role and why they left. */
static void plan_person(gen *g, rng *r, worker_plan *w, int role, int reason)
{
    long y = g->year, y0 = g->year_start, a = g->as_of;
    long earliest, latest;
    w->role = role;
    w->reason = reason;
    w->left = -1;
    if (reason == REASON_RETIRED)
        w->birth = rng_range(r, days_from_civil(y - 61, 1, 1), days_from_civil(y - 60, 6, 30));
    else if (role == ROLE_SECRETARY || role == ROLE_DIRECTOR)
        w->birth = rng_range(r, days_from_civil(y - 57, 1, 1), days_from_civil(y - 37, 12, 31));
    else
        w->birth = rng_range(r, days_from_civil(y - 53, 1, 1), days_from_civil(y - 25, 12, 31));
    earliest = add_years(w->birth, 21);
    if (earliest < days_from_civil(y - 20, 1, 1))
        earliest = days_from_civil(y - 20, 1, 1);
    if (reason == REASON_RETIRED)
        w->hire = rng_range(r, days_from_civil(y - 20, 1, 1), days_from_civil(y - 13, 12, 31));
    else if (role == ROLE_SECRETARY || role == ROLE_DIRECTOR)
        w->hire = rng_range(r, earliest, days_from_civil(y - 6, 12, 31));
    else if (reason != REASON_NONE)
        w->hire = rng_range(r, earliest, days_from_civil(y - 1, 6, 30));
    else if (rng_chance(r, 0.07)) /* hired during the year */
        w->hire = rng_range(
            r, y0 + 4, a - 40 < days_from_civil(y, 11, 20) ? a - 40 : days_from_civil(y, 11, 20));
    else
        w->hire = rng_range(r, earliest, days_from_civil(y - 1, 10, 31));
    if (w->hire > a)
        w->hire = a;
    if (reason != REASON_NONE) {
        if (reason == REASON_ELIMINATED) /* after the annual appraisal or a mid-year review */
            latest = days_from_civil(y, 9, 30);
        else
            latest = a - 16;
        w->left = rng_range(r, y0 + 14, latest < a ? latest : a);
        if (w->left > a)
            w->left = a;
        if (w->left < w->hire)
            w->left = w->hire;
    }
}

/* Orders the staff roll: secretary and director first, then by hire date. */
static void plan_sort_workers(plan *p)
{
    int i, j;
    for (i = 3; i < p->worker_count; i++) {
        worker_plan w = p->workers[i];
        for (j = i - 1; j >= 2 && (p->workers[j].hire > w.hire ||
                                   (p->workers[j].hire == w.hire && p->workers[j].birth > w.birth));
             j--)
            p->workers[j + 1] = p->workers[j];
        p->workers[j + 1] = w;
    }
}

/* Fills g->plan for community `index` of street `st` (its k-th). */
static void plan_community(gen *g, long index, const street *st, long k)
{
    plan *p = &g->plan;
    rng r, street_rng;
    double q, rate, household_size;
    long active, i, left_eliminated = 0, left_other = 0;
    size_t length = 0;
    rng_seed(&r, g->seed, STREAM_PLAN, (uint64_t)index);
    p->index = index;
    p->street = st;
    p->id_length = (size_t)snprintf(p->id, sizeof p->id, "37%0*ld%03ld%03ld",
                                    g->layout.district_digits, st->district + 1, st->number, k + 1);
    /* Quality: most communities middling, a few excellent, a few poor;
    ** streets differ too (a street's own draw, shared by its communities). */
    rng_seed(&street_rng, g->seed, STREAM_STREET, (uint64_t)(st - g->layout.streets));
    q = 0.07 * rng_normal(&street_rng);
    q += 0.1 * rng_normal(&r);
    q = clamp(0.62 + q + 0.05 * rng_normal(&r), 0.0, 1.0);
    p->q = q;
    p->population = round_long(rng_triangular(&r, 4000, 15000, 8500));
    household_size = rng_uniform(&r, 1.8, 2.9);
    p->households = round_long((double)p->population / household_size);
    /* A01 (10 -> 17 per 10,000) and A02 (450 -> 300 households each). */
    rate = clamp(14.5 + 11.0 * (q - 0.55) + 3.0 * rng_normal(&r), 6.0, 26.0);
    active = round_long((double)p->population * rate / 10000.0);
    if (active < 4)
        active = 4;
    for (i = 0; i < active; i++) {
        if (rng_chance(&r, clamp(0.032 * (1.25 - q), 0.004, 0.05)))
            left_eliminated++;
        if (rng_chance(&r, 0.035))
            left_other++;
    }
    if (active + left_eliminated + left_other > MAX_WORKERS) {
        left_eliminated = left_other = 0;
        if (active > MAX_WORKERS)
            active = MAX_WORKERS;
    }
    p->worker_count = 0;
    for (i = 0; i < active; i++)
        plan_person(g, &r, &p->workers[p->worker_count++],
                    i == 0                 ? ROLE_SECRETARY
                    : i == 1               ? ROLE_DIRECTOR
                    : rng_chance(&r, 0.45) ? ROLE_GRID
                                           : ROLE_FULLTIME,
                    REASON_NONE);
    for (i = 0; i < left_eliminated + left_other; i++) {
        static const int weights[] = {5, 3, 2};
        int reason = i < left_eliminated ? REASON_ELIMINATED
                                         : REASON_RESIGNED + rng_weighted(&r, weights, 3);
        plan_person(g, &r, &p->workers[p->worker_count++],
                    rng_chance(&r, 0.5) ? ROLE_GRID : ROLE_FULLTIME, reason);
    }
    plan_sort_workers(p);
    /* The name: two characters and a suffix. */
    p->stem[0] = '\0';
    pool_pick(&r, p->stem, &length, COMMUNITY_FIRST);
    pool_pick(&r, p->stem, &length, COMMUNITY_SECOND);
    memcpy(p->name, p->stem, length + 1);
    text_put(p->name, &length, NAME_SIZE,
             COMMUNITY_SUFFIXES[rng_weighted(
                 &r, COMMUNITY_SUFFIX_WEIGHTS,
                 (int)(sizeof COMMUNITY_SUFFIX_WEIGHTS / sizeof COMMUNITY_SUFFIX_WEIGHTS[0]))]);
}

/* ---------------------------------------------------------------------------
** Table generators: one community each, from g->plan.
*/

static int emit_community(gen *g)
{
    const plan *p = &g->plan;
    rng r;
    long population = p->population, households = p->households, floating, minority;
    int has_population = 1, has_households = 1, has_area, has_floating, has_minority;
    double area;
    rng_seed(&r, g->seed, STREAM_COMMUNITY, (uint64_t)p->index);
    /* Rare gaps and entry errors: missing, or 0 (outside the domain). */
    if (rng_chance(&r, 0.002))
        has_population = 0;
    else if (rng_chance(&r, 0.0005))
        population = 0;
    if (rng_chance(&r, 0.002))
        has_households = 0;
    else if (rng_chance(&r, 0.0005))
        households = 0;
    row_begin(g, GEN_COMMUNITIES);
    col_text(g, 1, p->id);
    col_text(g, 2, p->name);
    col_text(g, 3, g->layout.districts[p->street->district]);
    col_text(g, 4, p->street->name);
    /* One draw per statement: the order of argument evaluation is unspecified. */
    area = round_to(rng_uniform(&r, 0.3, 5.0), 2);
    has_area = !rng_chance(&r, 0.01);
    floating = round_long((double)p->population * rng_uniform(&r, 0.03, 0.25));
    has_floating = !rng_chance(&r, 0.02);
    minority = round_long((double)p->population * rng_uniform(&r, 0.002, 0.03));
    has_minority = !rng_chance(&r, 0.03);
    col_real_or_null(g, 5, has_area, area);
    col_int_or_null(g, 6, has_population, population);
    col_int_or_null(g, 7, has_households, households);
    col_int_or_null(g, 8, has_floating, floating);
    col_int_or_null(g, 9, has_minority, minority);
    return row_end(g);
}

/* One appraisal score in tenths, kept inside 0..100. */
static double score_tenths(double x)
{
    return round_to(clamp(x, 35.0, 99.8), 1);
}

/* Workers (A01-A05, F02, certificates, appraisal) and their visits (B05). */
static int emit_workers(gen *g)
{
    const plan *p = &g->plan;
    rng r, v;
    double q = p->q;
    double cert_share, college_share, train_share, score_mean, low_residents, new_cert;
    double coverage;
    long y0 = g->year_start, a = g->as_of;
    long bad_visit_worker = -1, bad_visit_month = 0;
    int i, status = ERROR_OK;
    rng_seed(&r, g->seed, STREAM_WORKERS, (uint64_t)p->index);
    rng_seed(&v, g->seed, STREAM_VISITS, (uint64_t)p->index);
    cert_share = clamp(-0.12 + 1.05 * q + 0.1 * rng_normal(&r), 0.02, 1.0);   /* A03 */
    college_share = clamp(0.46 + 0.48 * q + 0.07 * rng_normal(&r), 0.3, 1.0); /* A04 */
    train_share = clamp(0.25 + 0.7 * q + 0.1 * rng_normal(&r), 0.05, 1.0);    /* A05 */
    score_mean = 74.0 + 16.0 * q;
    low_residents = clamp(0.22 - 0.24 * q + 0.04 * rng_normal(&r), 0.0, 0.3); /* F02 */
    new_cert = clamp(0.03 + 0.12 * q, 0.02, 0.2);                 /* new_certified per street */
    coverage = clamp(0.55 + 0.45 * level(&v, q, 0.1), 0.45, 1.0); /* B05 */
    if (rng_chance(&v, 0.002)) { /* one visits row with visited > assigned */
        bad_visit_worker = rng_range(&v, 0, p->worker_count - 1);
        bad_visit_month = rng_range(&v, 1, g->months);
    }
    for (i = 0; i < p->worker_count && status == ERROR_OK; i++) {
        const worker_plan *w = &p->workers[i];
        int leader = w->role == ROLE_SECRETARY || w->role == ROLE_DIRECTOR;
        int certified, education = -1, cert = -1, has_cert_date = 0, has_hours = 0, score_gap;
        long cert_date = 0, m;
        double hours = 0.0, base, scores[3];
        size_t length = 0;
        char *name = g->text[0], *birth = g->text[1], *hire = g->text[2], *left = g->text[3];
        char cert_text[11];
        /* Name: surname and one or two given characters. */
        name[0] = '\0';
        pool_pick(&r, name, &length, SURNAMES);
        pool_pick(&r, name, &length, GIVEN);
        if (rng_chance(&r, 0.62))
            pool_pick(&r, name, &length, GIVEN);
        format_date(w->birth, birth);
        format_date(w->hire, hire);
        /* Education. */
        if (!rng_chance(&r, 0.012)) {
            static const int high[] = {4, 52, 44}, low[] = {85, 15};
            if (leader || rng_chance(&r, college_share))
                education = rng_weighted(&r, high, 3);
            else
                education = 3 + rng_weighted(&r, low, 2);
        }
        /* Certificate. */
        certified = rng_chance(&r, cert_share) || (leader && rng_chance(&r, 0.6));
        if (w->reason == REASON_ELIMINATED)
            certified = rng_chance(&r, 0.2);
        if (certified) {
            static const int weights[] = {70, 25, 5};
            cert = rng_weighted(&r, weights, 3);
            has_cert_date = !rng_chance(&r, 0.01);
            if (w->reason == REASON_NONE && rng_chance(&r, new_cert)) {
                cert_date = rng_range(&r, w->hire > y0 ? w->hire : y0, a);
            } else {
                long low_day = add_years(w->birth, 22);
                if (low_day < days_from_civil(2008, 6, 1))
                    low_day = days_from_civil(2008, 6, 1);
                cert_date = rng_range(&r, low_day, y0 - 1);
                if (cert_date > a)
                    cert_date = a;
            }
            if (cert == 2 && cert_date < days_from_civil(2016, 1, 1))
                cert = 1; /* 高级社会工作师 from 2016 on */
        }
        format_date(cert_date, cert_text);
        /* Training hours in the year, even numbers; prorated for leavers. */
        if (!rng_chance(&r, 0.025)) {
            has_hours = 1;
            hours = rng_chance(&r, train_share) ? 2.0 * (double)rng_range(&r, 30, 60)
                                                : 2.0 * (double)rng_range(&r, 8, 29);
            if (w->left >= 0) {
                long ly, lm, ld;
                civil_from_days(w->left, &ly, &lm, &ld);
                hours = (double)(2 * (long)(hours * (double)lm / 24.0));
                if (hours < 8.0)
                    hours = 8.0;
            }
        }
        /* Three-level appraisal. */
        base = score_mean + 5.0 * rng_normal(&r);
        if (w->reason == REASON_ELIMINATED)
            base = rng_uniform(&r, 52.0, 66.0);
        scores[0] = score_tenths(base + 4.0 * rng_normal(&r));
        scores[1] = score_tenths(base + 4.0 * rng_normal(&r));
        scores[2] = score_tenths(base + 1.0 + 5.0 * rng_normal(&r));
        if (w->reason == REASON_ELIMINATED || rng_chance(&r, low_residents))
            scores[2] = score_tenths(rng_uniform(&r, 45.0, 59.5));
        score_gap = rng_chance(&r, 0.012) ? (int)rng_range(&r, 0, 2) : -1;
        if (w->left >= 0)
            format_date(w->left, left);
        row_begin(g, GEN_WORKERS);
        col_text(g, 1, row_id(g, 'W', i + 1, 2));
        col_text(g, 2, p->id);
        col_text(g, 3, rng_chance(&r, 0.003) ? NULL : name);
        col_text(g, 4, rng_chance(&r, 0.005) ? NULL : birth);
        col_text(g, 5, hire);
        col_text(g, 6, ROLES[w->role]);
        col_text(g, 7, education >= 0 ? EDUCATION[education] : NULL);
        col_text(g, 8, cert >= 0 ? CERT_LEVELS[cert] : NULL);
        col_text(g, 9, cert >= 0 && has_cert_date ? cert_text : NULL);
        col_real_or_null(g, 10, has_hours, hours);
        col_real_or_null(g, 11, score_gap != 0, scores[0]);
        col_real_or_null(g, 12, score_gap != 1, scores[1]);
        col_real_or_null(g, 13, score_gap != 2, scores[2]);
        col_text(g, 14, w->left >= 0 ? "left" : "active");
        col_text(g, 15, w->left >= 0 ? left : NULL);
        col_text(g, 16, REASONS[w->reason]);
        status = row_end(g);
        if (status != ERROR_OK)
            break;
        /* Visits: each month of the year the worker was on the staff. */
        {
            double worker_coverage = clamp(coverage + 0.03 * rng_normal(&v), 0.4, 1.0);
            long assigned_base = rng_range(&v, 35, 75);
            char *month = g->text[1]; /* the worker row is written: reuse */
            for (m = 1; m <= g->months && status == ERROR_OK; m++) {
                long first = days_from_civil(g->year, m, 1);
                long last = days_from_civil(g->year + m / 12, m % 12 + 1, 1) - 1;
                long assigned, visited;
                double part = 1.0;
                if (w->hire > last || (w->left >= 0 && w->left < first))
                    continue;
                assigned = (long)clamp((double)(assigned_base + rng_range(&v, -5, 5)), 30, 80);
                if (w->hire > first)
                    part = (double)(last - w->hire + 1) / (double)(last - first + 1);
                if (w->left >= 0 && w->left <= last) {
                    double stayed = (double)(w->left - first + 1) / (double)(last - first + 1);
                    part = stayed < part ? stayed : part;
                }
                assigned = round_long((double)assigned * (part > 0.5 ? part : 0.5));
                if (assigned < 30)
                    assigned = 30;
                visited = round_long((double)assigned *
                                     clamp(worker_coverage + 0.04 * rng_normal(&v), 0.4, 1.0));
                if (visited > assigned)
                    visited = assigned;
                if (i == bad_visit_worker && m == bad_visit_month)
                    visited = assigned + rng_range(&v, 1, 5);
                put_digits(month, g->year, 4);
                month[4] = '-';
                put_digits(month + 5, m, 2);
                month[7] = '\0';
                row_begin(g, GEN_VISITS);
                col_text(g, 1, g->id);
                col_text(g, 2, month);
                col_int(g, 3, assigned);
                col_int(g, 4, visited);
                status = row_end(g);
            }
        }
    }
    return status;
}

/* Organizations (A06, B02, B03). */
static int emit_organizations(gen *g)
{
    const plan *p = &g->plan;
    rng r;
    double q = p->q, evaluated_share, rated_share;
    long count, i;
    int used[6] = {0, 0, 0, 0, 0, 0}, start[6];
    int status = ERROR_OK;
    rng_seed(&r, g->seed, STREAM_ORGANIZATIONS, (uint64_t)p->index);
    count = round_long(2.5 + 12.0 * level(&r, q, 0.12));
    count = round_long(clamp((double)count + 1.5 * rng_normal(&r), 1, 16));
    evaluated_share = clamp(0.3 + 0.75 * level(&r, q, 0.1), 0.1, 1.0);
    rated_share = clamp(0.12 + 0.65 * q + 0.1 * rng_normal(&r), 0.02, 0.98);
    for (i = 0; i < 6; i++)
        start[i] = (int)rng_range(&r, 0, 5);
    for (i = 1; i <= count && status == ERROR_OK; i++) {
        int kind = rng_weighted(&r, ORG_KIND_WEIGHTS, 6);
        int registered = rng_chance(&r, 0.9);
        int evaluated = registered && rng_chance(&r, evaluated_share);
        int rating =
            evaluated && rng_chance(&r, rated_share) ? rng_weighted(&r, ORG_RATING_WEIGHTS, 5) : -1;
        char *name = g->text[0];
        size_t length = 0;
        name[0] = '\0';
        text_put(name, &length, TEXT_SIZE, p->stem);
        text_put(name, &length, TEXT_SIZE, ORG_SUFFIXES[kind][(start[kind] + used[kind]) % 6]);
        if (used[kind] >= 6)
            text_put(name, &length, TEXT_SIZE, "二分队");
        used[kind]++;
        row_begin(g, GEN_ORGANIZATIONS);
        col_text(g, 1, row_id(g, 'O', i, 2));
        col_text(g, 2, p->id);
        col_text(g, 3, rng_chance(&r, 0.005) ? NULL : name);
        col_text(g, 4, rng_chance(&r, 0.005) ? NULL : ORG_KINDS[kind]);
        col_int(g, 5, registered);
        col_int(g, 6, evaluated);
        col_text(g, 7, rating >= 0 ? ORG_RATINGS[rating] : NULL);
        status = row_end(g);
    }
    return status;
}

static int compare_events(const void *a, const void *b)
{
    const event *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

/* Activities (B04, C04, E01-E04), numbered in date order. */
static int emit_activities(gen *g)
{
    const plan *p = &g->plan;
    rng r;
    double q = p->q, scale;
    long counts[6], resident_culture;
    int n = 0, kind, i, status = ERROR_OK;
    rng_seed(&r, g->seed, STREAM_ACTIVITIES, (uint64_t)p->index);
    counts[ACT_CONSULTATION] = round_long(clamp(1.0 + 14.0 * level(&r, q, 0.15), 1, 16));
    counts[ACT_VOLUNTEER] = round_long(clamp(8.0 + 22.0 * level(&r, q, 0.12), 4, 32));
    resident_culture = round_long(clamp(12.0 + 28.0 * level(&r, q, 0.12), 8, 45));
    counts[ACT_RESIDENT] = round_long((double)resident_culture * rng_uniform(&r, 0.4, 0.6));
    counts[ACT_CULTURE] = resident_culture - counts[ACT_RESIDENT];
    counts[ACT_CO_BUILDING] = round_long(clamp(3.2 * level(&r, q, 0.2) - 0.3, 0, 5));
    counts[ACT_CIVILITY] = round_long(clamp(4.0 + 11.0 * level(&r, q, 0.12), 2, 16));
    /* E04: participation scales with population and quality. */
    scale = clamp(0.93 * level(&r, q, 0.12) - 0.03, 0.03, 1.2) * (double)p->population / 9000.0;
    for (kind = 0; kind < 6; kind++) {
        const double *range = ACTIVITY_PARTICIPANTS[kind];
        for (i = 0; i < counts[kind] && n < MAX_EVENTS; i++, n++) {
            event *ev = &g->events[n];
            ev->day = rng_range(&r, g->year_start, g->as_of);
            ev->kind = kind;
            ev->sequence = n;
            ev->has_participants = !rng_chance(&r, 0.03);
            ev->participants = 0;
            if (ev->has_participants)
                ev->participants = (long)clamp(
                    rng_triangular(&r, range[0], range[1], range[0] + (range[1] - range[0]) * 0.3) *
                        scale,
                    3, 400);
            ev->partner = kind == ACT_CO_BUILDING && !rng_chance(&r, 0.1)
                              ? (int)rng_range(&r, 0, (long)PARTNER_COUNT - 1)
                              : -1;
        }
    }
    if (n > 0 && rng_chance(&r, 0.002)) { /* a negative participant count */
        event *ev = &g->events[rng_range(&r, 0, n - 1)];
        ev->has_participants = 1;
        ev->participants = -rng_range(&r, 1, 30);
    }
    qsort(g->events, (size_t)n, sizeof g->events[0], compare_events);
    for (i = 0; i < n && status == ERROR_OK; i++) {
        const event *ev = &g->events[i];
        char *day = g->text[0];
        format_date(ev->day, day);
        row_begin(g, GEN_ACTIVITIES);
        col_text(g, 1, row_id(g, 'A', i + 1, 3));
        col_text(g, 2, p->id);
        col_text(g, 3, day);
        col_text(g, 4, ACTIVITY_KINDS[ev->kind]);
        col_int_or_null(g, 5, ev->has_participants, ev->participants);
        col_text(g, 6, ev->partner >= 0 ? PARTNERS[ev->partner] : NULL);
        status = row_end(g);
    }
    return status;
}

static int compare_longs(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

/* Postings (C06): weekly updates with a probability, silent stretches for
** weak communities, a few items from the year before. */
static int emit_postings(gen *g)
{
    const plan *p = &g->plan;
    rng r;
    double week_share;
    long weeks = (g->as_of - g->year_start) / 7 + 1, w, gap_from = -1;
    int n = 0, i, status = ERROR_OK;
    static const int per_week[] = {60, 30, 10};
    rng_seed(&r, g->seed, STREAM_POSTINGS, (uint64_t)p->index);
    week_share = clamp(0.3 + 0.75 * level(&r, p->q, 0.12), 0.15, 1.0);
    if (rng_chance(&r, 0.3)) {
        long count = rng_range(&r, 1, 3);
        for (i = 0; i < count; i++)
            g->postings[n++] = rng_range(&r, g->year_start - 31, g->year_start - 1);
    }
    if (p->q < 0.45 && rng_chance(&r, 0.6))
        gap_from = rng_range(&r, 0, weeks > 8 ? weeks - 8 : 0);
    for (w = 0; w < weeks; w++) {
        int k;
        if (gap_from >= 0 && w >= gap_from && w < gap_from + 8)
            continue;
        if (!rng_chance(&r, week_share))
            continue;
        k = 1 + rng_weighted(&r, per_week, 3);
        for (i = 0; i < k && n < MAX_POSTINGS; i++) {
            long day = g->year_start + 7 * w + rng_range(&r, 0, 6);
            g->postings[n++] = day > g->as_of ? g->as_of : day;
        }
    }
    qsort(g->postings, (size_t)n, sizeof g->postings[0], compare_longs);
    for (i = 0; i < n && status == ERROR_OK; i++) {
        char *day = g->text[0];
        format_date(g->postings[i], day);
        row_begin(g, GEN_POSTINGS);
        col_text(g, 1, row_id(g, 'P', i + 1, 3));
        col_text(g, 2, p->id);
        col_text(g, 3, day);
        col_text(g, 4, CHANNELS_POSTING[rng_weighted(&r, CHANNEL_POSTING_WEIGHTS, 3)]);
        status = row_end(g);
    }
    return status;
}

/* Survey responses (F01): 30..100 answers, fewer than 30 for about 2%. */
static int emit_survey(gen *g)
{
    const plan *p = &g->plan;
    rng r;
    double rate;
    long n, i;
    int scored, status = ERROR_OK;
    rng_seed(&r, g->seed, STREAM_SURVEY, (uint64_t)p->index);
    n = rng_chance(&r, 0.02) ? rng_range(&r, 8, 29) : rng_range(&r, 30, 100);
    rate = clamp(0.66 + 0.32 * level(&r, p->q, 0.07), 0.4, 1.0);
    scored = rng_chance(&r, 0.85);
    for (i = 1; i <= n && status == ERROR_OK; i++) {
        int satisfied = rng_chance(&r, rate);
        int has_score = scored && !rng_chance(&r, 0.06);
        long score = satisfied ? rng_range(&r, 78, 100) : rng_range(&r, 30, 79);
        row_begin(g, GEN_SURVEY_RESPONSES);
        col_text(g, 1, row_id(g, 'S', i, 3));
        col_text(g, 2, p->id);
        col_int(g, 3, satisfied);
        col_real_or_null(g, 4, has_score, (double)score);
        status = row_end(g);
    }
    return status;
}

/* Requests (C03): 20..60 in the year, most resolved within 5 days. */
static int emit_requests(gen *g)
{
    const plan *p = &g->plan;
    rng r;
    double in_time, still_open;
    long n, i;
    int status = ERROR_OK;
    rng_seed(&r, g->seed, STREAM_REQUESTS, (uint64_t)p->index);
    n = rng_range(&r, 20, 60);
    in_time = clamp(0.74 + 0.3 * level(&r, p->q, 0.08), 0.5, 1.0);
    still_open = clamp(0.06 * (1.0 - p->q), 0.0, 0.06);
    for (i = 0; i < n; i++) /* received dates, sorted below */
        g->postings[i] = rng_range(&r, g->year_start, g->as_of);
    qsort(g->postings, (size_t)n, sizeof g->postings[0], compare_longs);
    for (i = 0; i < n && status == ERROR_OK; i++) {
        char *received = g->text[0], *resolved = g->text[1];
        long done = -1;
        if (!rng_chance(&r, still_open)) {
            done = g->postings[i] +
                   (rng_chance(&r, in_time) ? rng_range(&r, 0, 5) : rng_range(&r, 6, 20));
            if (done > g->as_of)
                done = -1; /* still open on the assessment date */
        }
        format_date(g->postings[i], received);
        if (done >= 0)
            format_date(done, resolved);
        row_begin(g, GEN_REQUESTS);
        col_text(g, 1, row_id(g, 'R', i + 1, 3));
        col_text(g, 2, p->id);
        col_text(g, 3, received);
        col_text(g, 4, done >= 0 ? resolved : NULL);
        col_text(g, 5,
                 rng_chance(&r, 0.01)
                     ? NULL
                     : CHANNELS_REQUEST[rng_weighted(&r, CHANNEL_REQUEST_WEIGHTS, 4)]);
        status = row_end(g);
    }
    return status;
}

/* The next template of a cycle: every entry in turn (shuffled order), the
** variants in order on the first passes and at random afterwards. */
static const task_template *cycle_next(task_cycle *c, rng *r)
{
    const task_entry *entry = &c->entries[c->order[c->next % c->count]];
    long pass = c->next / c->count;
    c->next++;
    return &entry->variants[pass < 3 ? pass : rng_range(r, 0, 2)];
}

static void cycle_init(task_cycle *c, const task_entry *entries, int count, rng *r)
{
    int i;
    c->entries = entries;
    c->count = count;
    c->next = 0;
    for (i = 0; i < count; i++)
        c->order[i] = i;
    for (i = count - 1; i > 0; i--) {
        int j = (int)rng_range(r, 0, i), t = c->order[i];
        c->order[i] = c->order[j];
        c->order[j] = t;
    }
}

/* One task before it is dated and written. */
typedef struct task_row {
    const task_template *template;
    int funded, staffed; /* 1, 0 or -1 (NULL) */
    int approved;        /* has an approval_ref */
    int form; /* how the title is dressed: 0 plain, 1 关于…的通知, 2 year, 3 batch */
    long day;
    int sequence;
} task_row;

static int compare_tasks(const void *a, const void *b)
{
    const task_row *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

/* Tasks (B01 and the admission list): 5..15 per community, more of them not
** admitted in weak communities. */
static int emit_tasks(gen *g)
{
    const plan *p = &g->plan;
    rng r;
    static const int forms[] = {70, 12, 10, 8};
    task_row rows[32];
    long bad, good, low, high, i;
    int n = 0, status = ERROR_OK;
    rng_seed(&r, g->seed, STREAM_TASKS, (uint64_t)p->index);
    bad = round_long(clamp(13.0 * (0.85 - p->q) / 0.7 + 0.5 + 0.9 * rng_normal(&r), 0, 14));
    low = bad < 3 ? 5 - bad : 2;                  /* at least 5 tasks */
    high = (long)clamp((double)(15 - bad), 2, 8); /* at most 8 good ones */
    good = rng_range(&r, low, high);
    for (i = 0; i < good; i++) {
        task_row *t = &rows[n++];
        memset(t, 0, sizeof *t);
        if (rng_chance(&r, 0.5)) { /* a duty: admitted whatever comes with it */
            t->template = cycle_next(&g->duty, &r);
            t->funded = rng_chance(&r, 0.67);
            t->staffed = rng_chance(&r, 0.67);
            t->approved = rng_chance(&r, 0.3);
        } else { /* assistance with funding, staff and approval */
            t->template = cycle_next(&g->assist, &r);
            t->funded = t->staffed = t->approved = 1;
        }
    }
    for (i = 0; i < bad; i++) {
        task_row *t = &rows[n++];
        double u = rng_unit(&r);
        memset(t, 0, sizeof *t);
        if (u < 0.5) { /* negative list */
            t->template = cycle_next(&g->deny, &r);
            t->funded = rng_chance(&r, 0.33);
            t->staffed = rng_chance(&r, 0.33);
            t->approved = rng_chance(&r, 0.1);
        } else if (u < 0.8) { /* assistance without funding or staff */
            static const int pairs[][2] = {{0, 1}, {1, 0}, {0, 0}, {-1, 1}, {1, -1}, {0, -1}};
            int k = (int)rng_range(&r, 0, 5);
            t->template = cycle_next(&g->assist, &r);
            t->funded = pairs[k][0];
            t->staffed = pairs[k][1];
            t->approved = rng_chance(&r, 0.35);
        } else if (u < 0.9) { /* assistance not yet approved: review */
            t->template = cycle_next(&g->assist, &r);
            t->funded = t->staffed = 1;
        } else { /* on no list: review */
            t->template = &UNLISTED_TASKS[g->unlisted_next++ % (long)UNLISTED_COUNT];
            t->funded = rng_chance(&r, 0.5);
            t->staffed = rng_chance(&r, 0.5);
        }
    }
    for (i = 0; i < n; i++) {
        long last = g->as_of - 5 > g->year_start ? g->as_of - 5 : g->year_start;
        rows[i].day = rng_range(&r, g->year_start, last);
        rows[i].form = rng_weighted(&r, forms, 4);
        if (strncmp(rows[i].template->title, "关于", strlen("关于")) == 0)
            rows[i].form = 0; /* already a notice title */
        rows[i].sequence = (int)i;
    }
    qsort(rows, (size_t)n, sizeof rows[0], compare_tasks);
    for (i = 0; i < n && status == ERROR_OK; i++) {
        const task_row *t = &rows[i];
        char *title = g->text[0], *detail = g->text[1], *approval = g->text[2];
        char *received = g->text[3];
        const char *detail_text = t->template->detail;
        if (detail_text == NULL)
            detail_text = ROUTINE_DETAILS[rng_range(&r, 0, (long)ROUTINE_DETAIL_COUNT - 1)];
        switch (t->form) {
        case 1:
            snprintf(title, TEXT_SIZE, "关于%s的通知", t->template->title);
            break;
        case 2:
            snprintf(title, TEXT_SIZE, "%ld年%s", g->year, t->template->title);
            break;
        case 3:
            snprintf(title, TEXT_SIZE, "%s（第%ld批）", t->template->title, rng_range(&r, 1, 6));
            break;
        default:
            snprintf(title, TEXT_SIZE, "%s", t->template->title);
        }
        if (detail_text != NULL)
            snprintf(detail, TEXT_SIZE, "%s", detail_text);
        snprintf(approval, TEXT_SIZE, "%.*s准〔%ld〕%ld号", 3, t->template->department, g->year,
                 rng_range(&r, 1, 120));
        format_date(t->day, received);
        row_begin(g, GEN_TASKS);
        col_text(g, 1, row_id(g, 'T', i + 1, 2));
        col_text(g, 2, p->id);
        col_text(g, 3, t->template->department);
        col_text(g, 4, title);
        col_text(g, 5, detail_text != NULL ? detail : NULL);
        col_text(g, 6, received);
        col_text(g, 7, t->approved ? approval : NULL);
        col_int_or_null(g, 8, t->funded >= 0, t->funded);
        col_int_or_null(g, 9, t->staffed >= 0, t->staffed);
        status = row_end(g);
    }
    return status;
}

/* Facts (A07, B06, B07, C01, C02, C05, C07, D01-D05, F03): one row per key,
** about 1.2% NULL, 0.6% absent and 0.2% outside their POLICY.md domain. */
static int emit_facts(gen *g)
{
    const plan *p = &g->plan;
    rng r;
    double q = p->q, v[FACT_COUNT];
    double population = (double)p->population, households = (double)p->households;
    long compounds, managed, issues, closed;
    int k, status = ERROR_OK;
    rng_seed(&r, g->seed, STREAM_FACTS, (uint64_t)p->index);
    compounds = rng_range(&r, 3, 25);
    managed = rng_chance(&r, 0.1 + 0.6 * q)
                  ? compounds
                  : compounds - rng_range(&r, 1, compounds / 3 > 1 ? compounds / 3 : 1);
    issues = rng_chance(&r, 0.03) ? 0 : rng_range(&r, 5, 60);
    closed = round_long((double)issues * clamp(0.70 + 0.32 * level(&r, q, 0.12), 0.5, 1.0));
    v[FACT_AMENITY_TYPES] = (double)round_long(2.0 + 6.0 * level(&r, q, 0.15));
    v[FACT_BANNED_CERTIFICATES] =
        rng_chance(&r, 0.25 + 0.45 * q) ? 0.0 : (double)rng_range(&r, 1, 7);
    v[FACT_BLIGHT_SPOTS] = (double)round_long(clamp(7.0 - 7.5 * level(&r, q, 0.15), 0, 9));
    v[FACT_COMPOUNDS] = (double)compounds;
    v[FACT_COMPOUNDS_MANAGED] = (double)managed;
    v[FACT_ENV_ISSUES] = (double)issues;
    v[FACT_ENV_ISSUES_CLOSED] = (double)closed;
    v[FACT_FACILITIES_OK] = round_to(clamp(0.80 + 0.21 * level(&r, q, 0.12), 0.6, 1.0), 3);
    v[FACT_PLATES] = (double)round_long(clamp(7.0 - 6.0 * level(&r, q, 0.15), 1, 9));
    v[FACT_PUBLIC_SERVICE_ITEMS] = (double)round_long(12.0 + 20.0 * level(&r, q, 0.12));
    v[FACT_REGISTERED_VOLUNTEERS] =
        (double)round_long(population * (0.02 + 0.16 * level(&r, q, 0.12)));
    v[FACT_SERVICE_AREA] =
        (double)round_long(households / 100.0 * (10.0 + 25.0 * level(&r, q, 0.12)));
    v[FACT_SERVICE_WINDOWS] = (double)round_long(clamp(0.2 + 2.2 * level(&r, q, 0.2), 0, 4));
    v[FACT_VALID_COMPLAINTS] =
        (double)round_long(households / 1000.0 * (0.5 + 13.0 * (1.0 - level(&r, q, 0.12))));
    v[FACT_WASTE_SORT_ACCURACY] = round_to(clamp(0.5 + 0.45 * level(&r, q, 0.12), 0.3, 1.0), 2);
    for (k = 0; k < FACT_COUNT && status == ERROR_OK; k++) {
        double value = v[k];
        int present = 1;
        double u = rng_unit(&r);
        if (u < 0.006) /* no row */
            continue;
        if (u < 0.018) {
            present = 0;
        } else if (u < 0.020) { /* outside the domain */
            switch (k) {
            case FACT_FACILITIES_OK:
            case FACT_WASTE_SORT_ACCURACY:
                value = round_to(rng_uniform(&r, 1.01, 1.3), 2);
                break;
            case FACT_AMENITY_TYPES:
                value = (double)rng_range(&r, 9, 12);
                break;
            case FACT_COMPOUNDS_MANAGED:
                value = v[FACT_COMPOUNDS] + (double)rng_range(&r, 1, 3);
                break;
            case FACT_ENV_ISSUES_CLOSED:
                value = v[FACT_ENV_ISSUES] + (double)rng_range(&r, 1, 5);
                break;
            default:
                value = -(double)rng_range(&r, 1, 5);
            }
        }
        row_begin(g, GEN_FACTS);
        col_text(g, 1, p->id);
        col_text(g, 2, FACT_KEYS[k]);
        col_real_or_null(g, 3, present, value);
        status = row_end(g);
    }
    return status;
}

static int emit_meta(gen *g, const char *as_of, const char *region)
{
    char communities[32], seed[32];
    const char *rows[][2] = {
        {"as_of", as_of}, {"communities", communities}, {"region", region},
        {"seed", seed},   {"source", SOURCE},
    };
    size_t i;
    int status = ERROR_OK;
    snprintf(communities, sizeof communities, "%ld", g->options->communities);
    snprintf(seed, sizeof seed, "%lu", g->options->seed);
    for (i = 0; i < sizeof rows / sizeof rows[0] && status == ERROR_OK; i++) {
        row_begin(g, GEN_SNAPSHOT_META);
        col_text(g, 1, rows[i][0]);
        col_text(g, 2, rows[i][1]);
        status = row_end(g);
    }
    return status;
}

/* ---------------------------------------------------------------------------
** The file.
*/

static int exec_sql(gen *g, const char *sql)
{
    char *message = NULL;
    int rc = sqlite3_exec(g->db, sql, NULL, NULL, &message);
    if (rc != SQLITE_OK) {
        error_set(g->e, ERROR_SYSTEM, "%s: %s", sql, message ? message : sqlite3_errmsg(g->db));
        sqlite3_free(message);
        return ERROR_SYSTEM;
    }
    return ERROR_OK;
}

/* Prepares the INSERT of `rows` rows into `table` (caller finalizes). */
static int prepare_insert(gen *g, int table, int rows, sqlite3_stmt **out)
{
    buffer sql;
    int row, column, rc, status = ERROR_OK;
    buffer_init(&sql);
    buffer_puts(&sql, INSERT_SQL[table]);
    buffer_puts(&sql, " VALUES ");
    for (row = 0; row < rows; row++) {
        buffer_puts(&sql, row > 0 ? ", (?" : "(?");
        for (column = 1; column < INSERT_COLUMNS[table]; column++)
            buffer_puts(&sql, ", ?");
        buffer_puts(&sql, ")");
    }
    if (buffer_failed(&sql)) {
        status = error_set(g->e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    rc = sqlite3_prepare_v3(g->db, buffer_text(&sql), -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
    if (rc != SQLITE_OK)
        status = error_set(g->e, ERROR_SYSTEM, "cannot prepare the insert into %s: %s",
                           TABLE_NAMES[table], sqlite3_errmsg(g->db));
done:
    buffer_free(&sql);
    return status;
}

/* Opens the temporary file: configures the connection, creates the schema
** and prepares the inserts. */
static int open_database(gen *g, const char *temporary)
{
    int rc, i, status;
    /* One thread uses the connection: no per-call mutex. */
    rc = sqlite3_open_v2(temporary, &g->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        return error_set(g->e, ERROR_SYSTEM, "%s: cannot open: %s", temporary,
                         g->db ? sqlite3_errmsg(g->db) : sqlite3_errstr(rc));
    sqlite3_extended_result_codes(g->db, 1);
    /* Nobody sees the file until it is renamed: no journal, no syncs. Rows
    ** come in key order, so every B-tree (indexes included: creating them
    ** after the insert measured slower) grows at its right edge and the
    ** default page cache does. 8 KiB pages measured about 9% less CPU than
    ** 4 KiB (fewer page splits and writes). */
    status = exec_sql(g, "PRAGMA page_size = 8192; PRAGMA journal_mode = OFF; "
                         "PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE");
    if (status == ERROR_OK)
        status = exec_sql(g, "BEGIN");
    if (status == ERROR_OK)
        status = snapshot_create_schema(g->db, g->e);
    for (i = 0; i < GEN_TABLES && status == ERROR_OK; i++) {
        batch *b = &g->batches[i];
        b->columns = INSERT_COLUMNS[i];
        b->values = calloc((size_t)(BATCH_ROWS * b->columns), sizeof *b->values);
        if (b->values == NULL) {
            status = error_set(g->e, ERROR_SYSTEM, "out of memory");
            break;
        }
        status = prepare_insert(g, i, 1, &b->one);
        if (status == ERROR_OK)
            status = prepare_insert(g, i, BATCH_ROWS, &b->many);
    }
    return status;
}

/* Inserts the rows still pending in every table. */
static int flush_all(gen *g)
{
    int i, status = ERROR_OK;
    for (i = 0; i < GEN_TABLES && status == ERROR_OK; i++)
        status = batch_flush(g, i);
    return status;
}

/* Finalizes the statements, frees the batches and closes the connection;
** returns `status`, or the close failure when status is ERROR_OK. */
static int close_database(gen *g, int status)
{
    int i;
    for (i = 0; i < GEN_TABLES; i++) {
        batch *b = &g->batches[i];
        sqlite3_finalize(b->one);
        sqlite3_finalize(b->many);
        free(b->values);
        free(b->arena);
        memset(b, 0, sizeof *b);
    }
    if (g->db != NULL && sqlite3_close(g->db) != SQLITE_OK && status == ERROR_OK)
        status =
            error_set(g->e, ERROR_SYSTEM, "cannot close the database: %s", sqlite3_errmsg(g->db));
    g->db = NULL;
    return status;
}

/* Writes every community, in id order. */
static int write_communities(gen *g)
{
    long total = g->options->communities, done = 0, step, s, k;
    int status = ERROR_OK;
    rng order;
    step = total / 100 > 0 ? total / 100 : 1;
    rng_seed(&order, g->seed, STREAM_TASK_ORDER, 0);
    cycle_init(&g->deny, DENY_TASKS, (int)DENY_COUNT, &order);
    cycle_init(&g->duty, DUTY_TASKS, (int)DUTY_COUNT, &order);
    cycle_init(&g->assist, ASSIST_TASKS, (int)ASSIST_COUNT, &order);
    g->unlisted_next = 0;
    for (s = 0; s < g->layout.street_count && status == ERROR_OK; s++) {
        const street *st = &g->layout.streets[s];
        for (k = 0; k < st->count && status == ERROR_OK; k++) {
            plan_community(g, st->first + k, st, k);
            status = emit_community(g);
            if (status == ERROR_OK)
                status = emit_workers(g);
            if (status == ERROR_OK)
                status = emit_organizations(g);
            if (status == ERROR_OK)
                status = emit_activities(g);
            if (status == ERROR_OK)
                status = emit_postings(g);
            if (status == ERROR_OK)
                status = emit_survey(g);
            if (status == ERROR_OK)
                status = emit_requests(g);
            if (status == ERROR_OK)
                status = emit_tasks(g);
            if (status == ERROR_OK)
                status = emit_facts(g);
            done++;
            if (g->options->progress != NULL && status == ERROR_OK &&
                (done % step == 0 || done == total))
                g->options->progress(g->options->user, done, total);
        }
    }
    return status;
}

/* Parses a YYYY-MM-DD date into a day number; 0 when it is not a date. */
static int parse_as_of(const char *text, long *day, long *year, long *month)
{
    long d;
    if (!snapshot_date_valid(text))
        return 0;
    *year = atol(text);
    *month = atol(text + 5);
    d = atol(text + 8);
    if (*year < 1900)
        return 0;
    *day = days_from_civil(*year, *month, d);
    return 1;
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int gen_write(const gen_options *options, gen_stats *stats, error *e)
{
    gen *g = NULL;
    publish out;
    const char *as_of, *region;
    long as_of_month = 0;
    double started = seconds_now();
    int i, status = ERROR_OK;
    memset(&out, 0, sizeof out);
    if (stats != NULL)
        memset(stats, 0, sizeof *stats);
    if (options == NULL || options->path == NULL || options->path[0] == '\0') {
        status = error_set(e, ERROR_USAGE, "gen: no output file");
        goto done;
    }
    if (options->communities < 1 || options->communities > GEN_MAX_COMMUNITIES) {
        status = error_set(e, ERROR_USAGE, "gen: --communities must be 1..%ld, not %ld",
                           GEN_MAX_COMMUNITIES, options->communities);
        goto done;
    }
    as_of = options->as_of != NULL ? options->as_of : DEFAULT_AS_OF;
    region = options->region != NULL ? options->region : DEFAULT_REGION;
    g = calloc(1, sizeof *g);
    if (g == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    g->options = options;
    g->e = e;
    g->seed = (uint64_t)options->seed;
    if (!parse_as_of(as_of, &g->as_of, &g->year, &as_of_month)) {
        status = error_set(e, ERROR_USAGE,
                           "gen: as_of '%.40s' is not a date YYYY-MM-DD (1900 or later)", as_of);
        goto done;
    }
    g->year_start = days_from_civil(g->year, 1, 1);
    g->months = as_of_month;
    if (region[0] == '\0' || !text_utf8_valid(region, strlen(region), NULL)) {
        status = error_set(e, ERROR_USAGE, "gen: the region name must be non-empty UTF-8 text");
        goto done;
    }
    /* Before the work: an existing file is refused at once. */
    status = publish_begin(&out, options->path, 0, e);
    if (status != ERROR_OK)
        goto done;
    status = layout_build(g);
    if (status != ERROR_OK)
        goto done;
    status = open_database(g, publish_temporary(&out));
    if (status == ERROR_OK)
        status = emit_meta(g, as_of, region);
    if (status == ERROR_OK)
        status = write_communities(g);
    if (status == ERROR_OK)
        status = flush_all(g);
    if (status == ERROR_OK)
        status = exec_sql(g, "COMMIT");
    status = close_database(g, status);
    if (status == ERROR_OK)
        status = publish_commit(&out, e);
    if (status == ERROR_OK && stats != NULL) {
        for (i = 0; i < GEN_TABLES; i++) {
            stats->rows_per_table[i] = g->rows[i];
            stats->rows += g->rows[i];
        }
    }
done:
    if (g != NULL) {
        close_database(g, ERROR_OK);
        layout_free(&g->layout);
    }
    publish_free(&out);
    free(g);
    if (stats != NULL)
        stats->seconds = seconds_now() - started;
    return status;
}
