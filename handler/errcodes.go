package handler

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"
)

// ErrorCode is one entry of the API's error list: the code a client
// switches on, the HTTP status it comes with and the message shown to the
// user (zh by default, en when Accept-Language prefers English). Messages
// may name details ({phone}, {until}, {tries_left}) filled from
// error.details when present.
type ErrorCode struct {
	Code   string
	Status int
	ZH     string
	EN     string
}

// ErrorCodes is the one list of error codes. The OpenAPI spec (enum of
// error.code and each status' description) and the README table are
// generated from it; TestErrorCodes_Listed checks that every code the
// service and handler packages use is here.
var ErrorCodes = []ErrorCode{
	{"bad_json", http.StatusBadRequest, "请求格式有误，请检查后重试", "the body is not valid JSON"},
	{"bad_multipart", http.StatusBadRequest, "上传中断，请重试", "the upload could not be read; use wx.uploadFile"},
	{"invalid_request", http.StatusUnprocessableEntity, "填写的内容有误，请检查", "the request is not valid"},
	{"idempotency_key_reused", http.StatusUnprocessableEntity, "重复提交的请求内容不一致，请刷新后重试", "this Idempotency-Key was used for a different request"},
	{"content_rejected", http.StatusUnprocessableEntity, "内容含有不适宜发布的信息，请修改后再发", "this text cannot be published"},
	{"handover_code_mismatch", http.StatusUnprocessableEntity, "交接码不正确（还可尝试 {tries_left} 次）", "the hand-over code is wrong"},
	{"image_broken", http.StatusUnprocessableEntity, "图片已损坏，请换一张", "the image is broken; choose another"},
	{"image_too_many_pixels", http.StatusUnprocessableEntity, "图片尺寸过大，请缩小后再传", "the image has too many pixels"},
	{"upload_not_usable", http.StatusUnprocessableEntity, "图片不可用，请重新上传", "the upload cannot be used; upload again"},
	{"person_not_verified", http.StatusUnprocessableEntity, "签约家庭医生和送药上门需要实名：请携带证件到门诊核验身份", "this needs a person whose identity document staff have checked"},
	{"invalid_id_number", http.StatusUnprocessableEntity, "证件号码有误，请核对（校验位、出生日期、性别需一致）", "the identity number is not valid"},
	{"village_not_in_catchment", http.StatusUnprocessableEntity, "所选村/社区不在可选机构的服务范围内，请从机构的服务村/社区中选择", "the village is not in the catchment of a clinic you may choose from"},
	{"refill_too_soon", http.StatusUnprocessableEntity, "距上次取药时间太短，请填写提前取药的原因，或在 {earliest_date} 之后再申请", "an item is asked for before its refill interval is over: give a reason, or order from the earliest date"},
	{"dose_too_early", http.StatusUnprocessableEntity, "未到该剂次的最早接种日期", "too early for this dose"},
	{"checkup_too_early", http.StatusUnprocessableEntity, "还没到这次儿保检查的时间", "too early for this check-up"},
	{"not_eligible", http.StatusUnprocessableEntity, "该家庭成员不符合此服务的预约条件", "the person does not meet the service's conditions"},
	{"birth_date_required", http.StatusUnprocessableEntity, "请先填写出生日期", "the person needs a birth date first"},
	{"bad_push_body", http.StatusUnprocessableEntity, "推送内容无法解析", "the push body cannot be parsed"},
	{"unauthorized", http.StatusUnauthorized, "登录已失效，请重新登录", "sign in again"},
	{"wechat_code_invalid", http.StatusUnauthorized, "微信登录凭证无效，请重新登录", "the WeChat code is invalid or already used; call wx.login again"},
	{"bad_signature", http.StatusUnauthorized, "签名校验失败", "the signature does not match"},
	{"forbidden", http.StatusForbidden, "没有权限进行此操作", "you may not do this"},
	{"not_a_member", http.StatusForbidden, "请先加入圈子", "join the circle first"},
	{"muted", http.StatusForbidden, "您暂时不能在圈子发帖或评论（至 {until}）", "you may not post or comment in circles for now"},
	{"no_contract_team", http.StatusForbidden, "该家庭成员尚未签约家庭医生，签约后才能向医生咨询", "this person has no active family-doctor contract; asking the doctor needs one"},
	{"no_active_contract", http.StatusForbidden, "该家庭成员尚未签约家庭医生，签约后才能送药上门", "this family member has no active family-doctor contract; home medicine delivery needs one"},
	{"manager_required", http.StatusForbidden, "只有本机构负责人或管理员可以新增、修改服务项目", "only the clinic's manager or an admin adds or edits its services"},
	{"pharmacist_required", http.StatusForbidden, "只有药师可以审核通过送药申请，请联系本机构药师或团队药师", "only a pharmacist approves medicine orders"},
	{"not_guardian", http.StatusForbidden, "只有家庭的监护人可以进行此操作", "only a guardian of the household may do this"},
	{"account_suspended", http.StatusForbidden, "该账号已被停用，请联系医院", "this account is suspended; ask the hospital"},
	{"not_found", http.StatusNotFound, "内容不存在或已删除", "not found"},
	{"invitation_invalid", http.StatusNotFound, "邀请码无效、已使用、已撤销或已过期", "the invitation code is wrong, used, revoked or expired"},
	{"method_not_allowed", http.StatusMethodNotAllowed, "不支持此请求方式", "this route does not take this method"},
	{"invalid_transition", http.StatusConflict, "当前状态下不能进行此操作，请刷新后查看", "this change is not allowed in the current state"},
	{"consultation_closed", http.StatusConflict, "该咨询已关闭且不能再次打开，请发起新的咨询", "this consultation is closed and can no longer be reopened; start a new one"},
	{"session_full", http.StatusConflict, "该场次已约满，可选择排队候补", "the session is full; ask to join the waitlist"},
	{"referral_not_usable", http.StatusConflict, "该转诊单已使用、已过期或不适用于此场次", "this referral cannot be used for this session"},
	{"slot_full", http.StatusConflict, "该时段已约满，请选择其他时段", "this arrival slot is full; choose another"},
	{"time_conflict", http.StatusConflict, "该家庭成员在这个时间已有其他预约", "this person already holds a booking at an overlapping time"},
	{"already_booked", http.StatusConflict, "该家庭成员已预约此场次", "this family member already holds a booking for the session"},
	{"session_closed", http.StatusConflict, "该场次已取消或已停止预约", "the session is cancelled or no longer takes bookings"},
	{"session_cancelled", http.StatusConflict, "该场次已取消", "the session is cancelled"},
	{"session_not_started", http.StatusConflict, "场次开始后才能登记爽约", "a no-show can be recorded only after the session starts"},
	{"session_started", http.StatusConflict, "场次已开始（或已有预约签到），不能再改期", "the session has started (or a booking of it is checked in); it can no longer be moved"},
	{"slot_resize_booked", http.StatusConflict, "该场次按时段预约且已有家庭预约，改期时不能改变时长：请保持时长不变整体平移，或先联系已预约的家庭", "this session is booked by arrival slot: keep its length when moving it, or contact the families first"},
	{"invitation_used", http.StatusConflict, "该邀请码已被使用", "this invitation code has been used"},
	{"invitation_expired", http.StatusConflict, "该邀请码已过期，请联系管理员重新邀请", "this invitation code has expired"},
	{"clinic_has_open_children", http.StatusConflict, "请先关闭或迁移其下属门诊", "close or move the clinics under this one first"},
	{"clinic_closed", http.StatusConflict, "该门诊已停止服务", "the clinic is closed"},
	{"package_code_taken", http.StatusConflict, "本机构已有相同编码的服务包", "this clinic already has a service package with this code"},
	{"agreement_version_exists", http.StatusConflict, "该协议版本已发布，修改后的协议请以新版本号发布", "this agreement version is already published; publish the changed text under a new version"},
	{"session_exists", http.StatusConflict, "该时间已有同一服务和专家的场次", "a session of this service and expert already starts at that time"},
	{"slot_below_booked", http.StatusConflict, "调整后有时段的名额少于已预约人数，请先联系这些时段的预约家庭", "the new capacity would leave an arrival slot with fewer seats than it holds"},
	{"capacity_below_booked", http.StatusConflict, "名额不能少于已预约人数", "the capacity cannot be lower than the seats already held"},
	{"cancel_window_closed", http.StatusConflict, "取消时间已过，请致电门诊（{clinic_phone}）", "it is too late to cancel online; please call the clinic"},
	{"booking_suspended", http.StatusConflict, "多次爽约，预约功能暂停使用", "booking is suspended after repeated no-shows"},
	{"handover_reset_limit", http.StatusConflict, "该订单交接码重置次数已达上限，请取消后重新下单", "this order's hand-over code was reset too often; cancel and reorder instead"},
	{"check_in_closed", http.StatusConflict, "当前不能签到：签到时间为 {opens} 至本场结束", "check-in is open from shortly before the session starts until it ends"},
	{"member_suspended", http.StatusConflict, "该家庭成员因多次爽约暂停预约中，暂停结束前不能删除", "this family member's bookings are suspended after repeated no-shows; the record stays until the suspension ends"},
	{"account_deleted", http.StatusConflict, "该账号已注销，不能再登录", "this account was deleted and cannot sign in again"},
	{"person_exists", http.StatusConflict, "该证件号码的成员已在其他家庭中，请申请关联", "a person with this identity number is already known; ask to link to that person"},
	{"already_in_household", http.StatusConflict, "已在该家庭中", "this account or person is already in the household"},
	{"member_has_active_bookings", http.StatusConflict, "该家庭成员还有未完成的预约，请先取消", "this family member still has active bookings; cancel them first"},
	{"member_already_contracted", http.StatusConflict, "该家庭成员已签约家庭医生", "this family member already has an active family-doctor contract"},
	{"contract_already_renewed", http.StatusConflict, "该签约已续约", "this contract already has a renewal"},
	{"renewal_window_closed", http.StatusConflict, "签约已过续约期，请重新申请签约", "only an active contract or one expired within 90 days can be renewed"},
	{"dose_already_recorded", http.StatusConflict, "该剂次已登记接种，不能重复登记", "this dose is already recorded"},
	{"checkup_already_recorded", http.StatusConflict, "该次儿保检查已登记，不能重复登记", "this check-up is already recorded"},
	{"booking_not_checked_in", http.StatusConflict, "请先为该预约签到，再登记儿保检查", "check the booking in before recording the check-up"},
	{"already_reported", http.StatusConflict, "您已举报过这条帖子", "you have already reported this post"},
	{"post_not_published", http.StatusConflict, "帖子未发布", "this post is not published"},
	{"circle_exists", http.StatusConflict, "已有同名圈子", "a circle with this slug exists"},
	{"delivery_in_progress", http.StatusConflict, "还有药品正在配送，请送达后再注销", "a medicine delivery is on its way; delete the account after it arrives"},
	{"handover_locked", http.StatusConflict, "交接码错误次数过多，请联系工作人员重置", "too many wrong hand-over codes: staff must reset the code"},
	{"idempotency_in_progress", http.StatusConflict, "请求正在处理，请稍后再试", "a request with this Idempotency-Key is still being processed; retry shortly"},
	{"body_too_large", http.StatusRequestEntityTooLarge, "提交的内容过大", "the request body is larger than 1 MiB"},
	{"file_too_large", http.StatusRequestEntityTooLarge, "图片太大了，请压缩后再传", "the file is too large"},
	{"unsupported_media_type", http.StatusUnsupportedMediaType, "只支持 JPG、PNG、WebP、GIF 图片", "only JPG, PNG, WebP and GIF images are taken"},
	{"rate_limited", http.StatusTooManyRequests, "操作太频繁，请稍后再试", "too many requests, try again later"},
	{"internal", http.StatusInternalServerError, "系统出错了，请稍后再试", "something went wrong on our side"},
	{"wechat_unavailable", http.StatusBadGateway, "微信服务暂时不可用，请稍后再试", "WeChat did not answer, try again shortly"},
	{"database_busy", http.StatusServiceUnavailable, "系统繁忙，请稍后再试", "the service is busy, try again shortly"},
	{"database_unavailable", http.StatusServiceUnavailable, "系统繁忙，请稍后再试", "the service is busy, try again shortly"},
}

var errorCodeIndex = func() map[string]ErrorCode {
	m := make(map[string]ErrorCode, len(ErrorCodes))
	for _, e := range ErrorCodes {
		m[e.Code] = e
	}
	return m
}()

// ErrorCodeNames lists the codes, sorted (the enum of error.code).
func ErrorCodeNames() []string {
	out := make([]string, 0, len(ErrorCodes))
	for _, e := range ErrorCodes {
		out = append(out, e.Code)
	}
	sort.Strings(out)
	return out
}

// prefersEnglish reports whether Accept-Language puts English before
// Chinese (the default is zh-CN).
func prefersEnglish(c *gin.Context) bool {
	best, bestQ := "", -1.0
	for _, part := range strings.Split(c.GetHeader("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := parseQ(v); err == nil {
				q = f
			}
		}
		tag = strings.ToLower(tag)
		if (strings.HasPrefix(tag, "en") || strings.HasPrefix(tag, "zh")) && q > bestQ {
			best, bestQ = tag, q
		}
	}
	return strings.HasPrefix(best, "en")
}

func parseQ(s string) (float64, error) { return strconv.ParseFloat(s, 64) }

// localize chooses the message of an error envelope: the list's zh text
// (with details filled in) unless the caller prefers English; a message
// already written in Chinese for this one case is kept for zh callers.
func localize(c *gin.Context, code, msg string, details map[string]any) string {
	e, known := errorCodeIndex[code]
	if prefersEnglish(c) {
		if hasHan(msg) && known {
			return e.EN
		}
		return msg
	}
	if hasHan(msg) || !known {
		if !hasHan(msg) {
			return "请求失败，请稍后再试"
		}
		return msg
	}
	return fillDetails(e.ZH, details)
}

// fillDetails replaces {key} with details[key]; a sentence part whose key is
// missing is dropped (from the last separator before it).
func fillDetails(tmpl string, details map[string]any) string {
	for {
		i := strings.IndexByte(tmpl, '{')
		j := strings.IndexByte(tmpl, '}')
		if i < 0 || j < i {
			return tmpl
		}
		key := tmpl[i+1 : j]
		if v, ok := details[key]; ok && v != nil && v != "" {
			tmpl = tmpl[:i] + fmt.Sprint(v) + tmpl[j+1:]
			continue
		}
		// Drop the clause naming the missing value: from the "（" or "，"
		// before it to the "）" or "，" after it.
		cut := strings.LastIndexAny(tmpl[:i], "，（")
		if cut < 0 {
			cut = i
		}
		tail := tmpl[j+1:]
		if k := strings.IndexAny(tail, "，）"); k >= 0 {
			if strings.HasPrefix(tail[k:], "）") {
				k += len("）")
			}
			tail = tail[k:]
		} else {
			tail = ""
		}
		tmpl = tmpl[:cut] + tail
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
