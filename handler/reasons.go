package handler

import (
	"regexp"
	"strings"
)

// Field reasons are written once, in English, where a rule is checked
// (validator tags in handler/bind.go, service checks). zhReason turns them
// into the Chinese shown by default; TestFieldReasons_Chinese runs every
// reason the code writes through it.
var zhReasons = []struct {
	re *regexp.Regexp
	zh string
}{
	{regexp.MustCompile(`^required$`), "必填"},
	{regexp.MustCompile(`^must be (\d+) to (\d+) characters$`), "长度须为 $1 到 $2 个字"},
	{regexp.MustCompile(`^must be at least (\d+) characters$`), "至少 $1 个字"},
	{regexp.MustCompile(`^must be at most (\d+) characters$`), "最多 $1 个字"},
	{regexp.MustCompile(`^each word must be at most (\d+) characters$`), "每个词最多 $1 个字"},
	{regexp.MustCompile(`^at most (\d+) words$`), "最多 $1 个词"},
	{regexp.MustCompile(`^must be (\d+) characters$`), "须为 $1 个字符"},
	{regexp.MustCompile(`^must be at most (\d+) bytes$`), "内容过长（最多 $1 字节）"},
	{regexp.MustCompile(`^must have at least (\d+) items?$`), "至少选择 $1 项"},
	{regexp.MustCompile(`^must have at most (\d+) items$`), "最多 $1 项"},
	{regexp.MustCompile(`^must have at most (\d+) images with image_urls$`), "图片合计最多 $1 张"},
	{regexp.MustCompile(`^must be at least (\S+)$`), "不能小于 $1"},
	{regexp.MustCompile(`^must be at most (\S+)$`), "不能大于 $1"},
	{regexp.MustCompile(`^must be between (-?\d+) and (\d+)$`), "须在 $1 到 $2 之间"},
	{regexp.MustCompile(`^must be one of (.+)$`), "须为以下之一：$1"},
	{regexp.MustCompile(`^must be (\w+) or (\w+)$`), "须为 $1 或 $2"},
	{regexp.MustCompile(`^must be resident, staff or admin$`), "须为 resident、staff 或 admin"},
	{regexp.MustCompile(`^must be a date YYYY-MM-DD or an RFC 3339 time$`), "日期格式应为 YYYY-MM-DD 或 RFC 3339 时间"},
	{regexp.MustCompile(`^must be a date YYYY-MM-DD$`), "日期格式应为 YYYY-MM-DD"},
	{regexp.MustCompile(`^must be an RFC 3339 time$`), "时间格式应为 RFC 3339（如 2026-01-02T09:00:00+08:00）"},
	{regexp.MustCompile(`^must be formatted as (.+)$`), "格式应为 $1"},
	{regexp.MustCompile(`^must be HH:MM$`), "时间格式应为 HH:MM"},
	{regexp.MustCompile(`^must be in the future$`), "须晚于当前时间"},
	{regexp.MustCompile(`^must not be in the future$`), "不能晚于今天"},
	{regexp.MustCompile(`^must not be in the past$`), "不能早于今天"},
	{regexp.MustCompile(`^must be after 1900$`), "须晚于 1900 年"},
	{regexp.MustCompile(`^must be at most 300 days ahead$`), "不能晚于 300 天后"},
	{regexp.MustCompile(`^must be after (\w+)$`), "须晚于 $1"},
	{regexp.MustCompile(`^must not be before (\w+)$`), "不能早于 $1"},
	{regexp.MustCompile(`^must be distinct days 1 \(Monday\) to 7 \(Sunday\)$`), "须为不重复的 1（周一）到 7（周日）"},
	{regexp.MustCompile(`^must be an https URL.*$`), "须为 https 链接"},
	{regexp.MustCompile(`^must be a URL$`), "须为链接"},
	{regexp.MustCompile(`^must start with (.+)$`), "须以 $1 开头"},
	{regexp.MustCompile(`^must be digits$`), "须为数字"},
	{regexp.MustCompile(`^must be a string$`), "须为文本"},
	{regexp.MustCompile(`^must be true or false$`), "须为 true 或 false"},
	{regexp.MustCompile(`^must be an integer$`), "须为整数"},
	{regexp.MustCompile(`^must be a number$`), "须为数字"},
	{regexp.MustCompile(`^must be an array$`), "须为数组"},
	{regexp.MustCompile(`^must be an object$`), "须为对象"},
	{regexp.MustCompile(`^must all belong to one family$`), "须属于同一个家庭"},
	{regexp.MustCompile(`^must be member ids$`), "须为家庭成员编号"},
	// Family doctor in practice (teams, consultations, follow-ups, medications).
	{regexp.MustCompile(`^must name each account once$`), "每个账号只能出现一次"},
	{regexp.MustCompile(`^must be 1 to 64 characters \(or give medication_id\)$`), "须为 1 到 64 个字（或从长期用药清单选择药品）"},
	{regexp.MustCompile(`^must be positive$`), "须为正数"},
	{regexp.MustCompile(`^is not a service package of this clinic$`), "不是该机构提供的服务包"},
	{regexp.MustCompile(`^must be a member of the team$`), "须为该团队的成员"},
	{regexp.MustCompile(`^is retired: it can no longer be signed$`), "该服务包已停止签约"},
	{regexp.MustCompile(`^is not a published agreement version$`), "不是已发布的协议版本"},
	{regexp.MustCompile(`^must be 1 to 32 letters, digits, '\.', '-' or '_'$`), "须为 1 到 32 个字母、数字、.、- 或 _"},
	{regexp.MustCompile(`^is not on this person's medication list$`), "不在该成员的长期用药清单中"},
	{regexp.MustCompile(`^must be at most (\d+) \(the quantity per refill\)$`), "不能超过每次续药量 $1"},
	{regexp.MustCompile(`^must have exactly one lead$`), "须有且只有一名团队长"},
	{regexp.MustCompile(`^must be a staff account of the team's clinic.*$`), "须为本机构、上级分院或下属驿站的工作人员账号"},
	{regexp.MustCompile(`^must be an existing clinic$`), "须为已有的机构"},
	{regexp.MustCompile(`^must be between ([\d.]+) and ([\d.]+)$`), "须在 $1 到 $2 之间"},
	{regexp.MustCompile(`^must have content.*$`), "内容不能为空"},
	{regexp.MustCompile(`^must be 2 to 32 lowercase letters.*$`), "须为 2 到 32 个小写字母、数字、- 或 _，以字母开头"},
	{regexp.MustCompile(`^is not a known stage$`), "不是已知的阶段"},
	{regexp.MustCompile(`^no such (clinic|service|expert).*$`), "不存在"},
	{regexp.MustCompile(`^staff need a clinic_id$`), "工作人员须指定门诊"},
	{regexp.MustCompile(`^uploads are not enabled$`), "暂不支持上传图片"},
	{regexp.MustCompile(`^is not valid.*$`), "无效"},
	{regexp.MustCompile(`^must be within the next two years$`), "须在两年之内"},
	{regexp.MustCompile(`^must be within 14 days$`), "须在 14 天之内"},
	{regexp.MustCompile(`^must be within a year, or "permanent"$`), "最长一年，或填 permanent（永久）"},
	{regexp.MustCompile(`^must be an RFC 3339 time or YYYY-MM-DD, from 1900 to 2199$`), "须为 1900 到 2199 年之间的日期（YYYY-MM-DD）或 RFC 3339 时间"},
	{regexp.MustCompile(`^must be a date YYYY-MM-DD, from 1900 to 2199$`), "须为 1900 到 2199 年之间的日期（YYYY-MM-DD）"},
	{regexp.MustCompile(`^must be text without control characters$`), "不能含有控制字符"},
	{regexp.MustCompile(`^must not contain control, zero-width or text-direction characters$`), "不能含有控制字符、零宽字符或文字方向字符"},
	{regexp.MustCompile(`^must be printable UTF-8 text$`), "须为可打印的文字"},
	{regexp.MustCompile(`^must be 1 to 128 characters$`), "须为 1 到 128 个字符"},
	{regexp.MustCompile(`^unknown service kind$`), "不是已知的服务类别"},
	{regexp.MustCompile(`^required: this session is booked by arrival slot$`), "必填：该场次按时段预约"},
	{regexp.MustCompile(`^is not a slot of this session$`), "不是该场次的时段"},
	{regexp.MustCompile(`^ages must not be negative$`), "年龄不能为负数"},
	{regexp.MustCompile(`^the minimum age must not be above the maximum$`), "最小年龄不能大于最大年龄"},
	{regexp.MustCompile(`^weeks must be 0 to (\d+), min not above max$`), "孕周须在 0 到 $1 之间，且最小不大于最大"},
	{regexp.MustCompile(`^give the age range in one unit.*$`), "年龄范围请只用一种单位（天、月或岁）"},
	// Network administration.
	{regexp.MustCompile(`^a new clinic is open$`), "新建门诊须为开放状态"},
	{regexp.MustCompile(`^required with studios$`), "填写名医工作室时必填"},
	{regexp.MustCompile(`^each studio must be at one of sitting_clinic_ids, once$`), "每个名医工作室须在坐诊门诊之一，且不重复"},
	{regexp.MustCompile(`^must be distinct clinics$`), "门诊不能重复"},
	{regexp.MustCompile(`^a weekly sitting needs a studio name$`), "每周坐诊须填写工作室名称"},
	{regexp.MustCompile(`^each studio needs a name of at most 128 characters$`), "工作室名称最多 128 个字"},
	{regexp.MustCompile(`^give suspended, clinic_id, position or remove_staff$`), "请指定停用、调动门诊、岗位或取消工作人员身份"},
	{regexp.MustCompile(`^cannot be combined with clinic_id or position$`), "不能与调动门诊或岗位同时提交"},
	{regexp.MustCompile(`^must be main_hospital, branch or station$`), "须为 main_hospital（总院）、branch（分院）或 station（驿站）"},
	{regexp.MustCompile(`^must be distinct offers$`), "服务项目须为已知且不重复的值"},
	{regexp.MustCompile(`^must be distinct village or community names of 1 to 64 characters$`), "须为不重复的村/社区名称（1 到 64 个字）"},
	{regexp.MustCompile(`^at most (\d+) (names|rules)$`), "最多 $1 项"},
	{regexp.MustCompile(`^weekdays must be distinct days 1 \(Monday\) to 7 \(Sunday\)$`), "星期须为不重复的 1（周一）到 7（周日）"},
	{regexp.MustCompile(`^each rule needs weekdays and start before end \(HH:MM\)$`), "每条规则须有星期，且开始时间早于结束时间（HH:MM）"},
	{regexp.MustCompile(`^each rule's offer must be a known offer$`), "规则所属服务项目不存在"},
	{regexp.MustCompile(`^give both lat and lng$`), "经纬度须同时填写"},
	{regexp.MustCompile(`^a main hospital has no parent$`), "总院没有上级门诊"},
	{regexp.MustCompile(`^required: a branch hangs under a main hospital, a station under a branch$`), "必填：分院隶属总院，驿站隶属分院"},
	{regexp.MustCompile(`^a branch hangs under a main hospital, a station under a branch$`), "分院须隶属总院，驿站须隶属分院"},
	{regexp.MustCompile(`^the clinics under this one need it to stay a (\w+)$`), "下属门诊要求其保持为 $1"},
}

// zhReason is the Chinese of a field reason; a reason already in Chinese
// passes, one no rule knows becomes a generic 格式不正确.
func zhReason(en string) string {
	if hasHan(en) {
		return en
	}
	for _, r := range zhReasons {
		if r.re.MatchString(en) {
			return r.re.ReplaceAllString(en, r.zh)
		}
	}
	return "格式不正确"
}

// localizeDetails translates details.fields for a zh caller.
func localizeDetails(details map[string]any, en bool) map[string]any {
	fields, ok := details["fields"].(map[string]string)
	if en || !ok {
		return details
	}
	zh := make(map[string]string, len(fields))
	for k, v := range fields {
		zh[k] = zhReason(strings.TrimSpace(v))
	}
	out := make(map[string]any, len(details))
	for k, v := range details {
		out[k] = v
	}
	out["fields"] = zh
	return out
}
