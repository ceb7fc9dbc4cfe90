package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"familycare/model"

	miniConfig "github.com/silenceper/wechat/v2/miniprogram/config"
	mpcontext "github.com/silenceper/wechat/v2/miniprogram/context"
	"github.com/silenceper/wechat/v2/miniprogram/message"
	"github.com/silenceper/wechat/v2/util"
	"gorm.io/gorm"
)

// Message-push errors.
var (
	ErrPushSignature = newErr(KindUnauthorized, "bad_signature", "签名校验失败")
	ErrPushNotSetUp  = newErr(KindNotFound, "not_found", "消息推送未配置")
	ErrPushBody      = newErr(KindInvalid, "bad_push_body", "推送内容无法解析")
)

// Notification events of the image check.
const (
	EventImageRemoved = "image_removed"
)

// PushService receives WeChat's message push (消息推送): the results of
// mediaCheckAsync and the subscribe-message events.
//
// silenceper/wechat's message.PushReceiver verifies the plain signature,
// decrypts safe-mode bodies (AES, checking the app id) and parses the
// events into typed structs (both the XML and the JSON shapes, including
// the List that is an object or an array). It does not: answer the GET URL
// verification (echostr); check msg_signature, the signature over the
// encrypted body in safe mode (it checks only the plain signature, which
// does not cover the body); reject unencrypted bodies when safe mode is
// configured; or make retries idempotent. Those are done here.
type PushService struct {
	db       *gorm.DB
	clock    Clock
	log      *slog.Logger
	token    string
	aesKey   string
	appID    string
	receiver *message.PushReceiver
	uploads  *UploadService
	notify   *NotificationService
}

// NewPushService builds the service; token and aesKey are the message-push
// Token and EncodingAESKey of the mini-program console (no token: the
// endpoint answers 404).
func NewPushService(deps Deps, uploads *UploadService, notify *NotificationService) *PushService {
	cfg := deps.Config
	rc := &mpcontext.Context{Config: &miniConfig.Config{AppID: cfg.WeChatAppID, Token: cfg.WeChatPushToken, EncodingAESKey: cfg.WeChatPushAESKey}}
	return &PushService{db: deps.DB, clock: deps.Clock, log: deps.Log, token: cfg.WeChatPushToken, aesKey: cfg.WeChatPushAESKey,
		appID: cfg.WeChatAppID, receiver: message.NewPushReceiver(rc), uploads: uploads, notify: notify}
}

// signature is WeChat's: sha1 of the sorted strings joined.
func signature(parts ...string) string {
	s := append([]string(nil), parts...)
	sort.Strings(s)
	return util.Signature(s...)
}

func sameString(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Verify answers WeChat's URL verification: echostr when the signature is
// right.
func (s *PushService) Verify(signatureQ, timestamp, nonce, echostr string) (string, error) {
	if s.token == "" {
		return "", ErrPushNotSetUp
	}
	if signatureQ == "" || !sameString(signature(s.token, timestamp, nonce), signatureQ) {
		return "", ErrPushSignature
	}
	return echostr, nil
}

// Receive verifies, decrypts, parses and applies one push. The same event
// delivered twice (WeChat retries when we are slow or fail) changes nothing
// the second time: its key is unique in push_events, written in the
// transaction that applies it.
func (s *PushService) Receive(ctx context.Context, r *http.Request) error {
	if s.token == "" {
		return ErrPushNotSetUp
	}
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if q.Get("signature") == "" || !sameString(signature(s.token, ts, nonce), q.Get("signature")) {
		return ErrPushSignature
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return ErrPushBody.Wrap(err)
	}
	encrypted := q.Get("encrypt_type") == "aes"
	if s.aesKey != "" && !encrypted {
		// Safe mode is configured: a plain body did not come from WeChat.
		return ErrPushSignature.Msg("需要加密推送")
	}
	if encrypted {
		enc, err := encryptedField(r.Header.Get("Content-Type"), raw)
		if err != nil {
			return ErrPushBody.Wrap(err)
		}
		if !sameString(signature(s.token, ts, nonce, enc), q.Get("msg_signature")) {
			return ErrPushSignature
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	_, plain, err := s.receiver.GetMsg(r)
	if err != nil {
		return ErrPushBody.Wrap(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	msgType, event, data, err := s.receiver.GetMsgData(r)
	if err != nil {
		return ErrPushBody.Wrap(err)
	}
	if msgType != message.MsgTypeEvent {
		return nil // customer-service messages are not ours to handle
	}
	sum := sha256.Sum256(plain)
	key := string(event) + ":" + hex.EncodeToString(sum[:16])
	return s.apply(ctx, key, string(event), data)
}

// encryptedField reads the Encrypt field of a safe-mode body.
func encryptedField(contentType string, raw []byte) (string, error) {
	var b message.DataReceived
	var err error
	if strings.HasPrefix(contentType, "text/xml") {
		err = xml.Unmarshal(raw, &b)
	} else {
		err = json.Unmarshal(raw, &b)
	}
	if err == nil && b.Encrypt == "" {
		err = errors.New("no Encrypt field")
	}
	return b.Encrypt, err
}

var errAlreadyApplied = errors.New("push event already applied")

// apply records the event and its effects in one transaction; a duplicate
// key means the event was applied already.
func (s *PushService) apply(ctx context.Context, key, event string, data message.PushData) error {
	var after []func()
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		row := model.PushEvent{DedupKey: key, Event: event, CreatedAt: s.clock.Now()}
		switch d := data.(type) {
		case *message.MediaCheckAsyncData:
			row.OpenID = d.FromUserName
		case *message.PushDataSubscribePopup:
			row.OpenID = d.FromUserName
		case *message.PushDataSubscribeMsgChange:
			row.OpenID = d.FromUserName
		case *message.PushDataSubscribeMsgSent:
			row.OpenID = d.FromUserName
		}
		if err := tx.Create(&row).Error; err != nil {
			if isDuplicate(err) {
				return errAlreadyApplied
			}
			return err
		}
		switch d := data.(type) {
		case *message.MediaCheckAsyncData:
			f, err := s.mediaChecked(tx, d)
			if f != nil {
				after = append(after, f)
			}
			return err
		case *message.PushDataSubscribePopup:
			var items []subscribeItem
			for _, it := range d.GetSubscribeMsgPopupEvents() {
				items = append(items, subscribeItem{it.TemplateID, it.SubscribeStatusString, ""})
			}
			return s.subscriptions(tx, d.FromUserName, items)
		case *message.PushDataSubscribeMsgChange:
			var items []subscribeItem
			for _, it := range d.GetSubscribeMsgChangeEvents() {
				items = append(items, subscribeItem{it.TemplateID, it.SubscribeStatusString, ""})
			}
			return s.subscriptions(tx, d.FromUserName, items)
		case *message.PushDataSubscribeMsgSent:
			var items []subscribeItem
			for _, it := range d.GetSubscribeMsgSentEvents() {
				items = append(items, subscribeItem{it.TemplateID, "", it.ErrorCode})
			}
			return s.subscriptions(tx, d.FromUserName, items)
		}
		return nil
	})
	if errors.Is(err, errAlreadyApplied) {
		s.log.Info("wechat push: event already applied", "event", event)
		return nil
	}
	if err != nil {
		return err
	}
	for _, f := range after {
		f()
	}
	return nil
}

// mediaChecked applies a mediaCheckAsync verdict to the upload with its
// trace id: pass shows it to everyone, review hands it to staff, risky
// removes it (file deleted after the commit) and tells the uploader.
func (s *PushService) mediaChecked(tx *gorm.DB, d *message.MediaCheckAsyncData) (func(), error) {
	var u model.Upload
	if err := tx.Where("check_trace_id = ?", d.TraceID).First(&u).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			s.log.Info("wechat push: media check for an unknown trace id")
			return nil, nil
		}
		return nil, err
	}
	suggest := string(d.Result.Suggest)
	var state string
	switch suggest {
	case "pass":
		state = model.CheckPass
	case "review":
		state = model.CheckReview
	case "risky":
		state = model.CheckRisky
	default:
		s.log.Warn("wechat push: media check with an unknown suggest", "suggest", suggest, "errcode", d.Errcode)
		return nil, nil
	}
	if s.uploads == nil {
		return nil, nil
	}
	return s.uploads.applyVerdict(tx, u, state)
}

// subscribeItem is one template in a subscribe event: status (accept,
// reject, ban…) for popup and change events, errorCode for sent events.
type subscribeItem struct {
	templateID, status, errorCode string
}

// subscriptions reconciles WeChat's word with the acceptances the client
// reported (POST /me/subscriptions, the fast path): an accept makes sure at
// least one send is allowed; a reject or a switch-off stops sends at once;
// a sent event with an error code means the acceptance is gone.
func (s *PushService) subscriptions(tx *gorm.DB, openID string, items []subscribeItem) error {
	var u model.User
	if err := tx.Select("id").Where("open_id = ?", openID).First(&u).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		return err
	}
	now := s.clock.Now()
	for _, it := range items {
		if it.templateID == "" {
			continue
		}
		status := it.status
		if it.errorCode != "" {
			if it.errorCode == "0" {
				continue
			}
			status = "reject"
		}
		switch status {
		case "accept":
			if err := upsertQuota(tx, u.ID, it.templateID, now, true); err != nil {
				return err
			}
		case "reject", "ban", "filter":
			if err := upsertQuota(tx, u.ID, it.templateID, now, false); err != nil {
				return err
			}
		default:
			continue
		}
		res := tx.Model(&model.SubscriptionState{}).Where("user_id = ? AND template_id = ?", u.ID, it.templateID).
			Updates(map[string]any{"status": status, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			if err := tx.Create(&model.SubscriptionState{UserID: u.ID, TemplateID: it.templateID, Status: status, UpdatedAt: now}).Error; err != nil {
				return fmt.Errorf("subscription state: %w", err)
			}
		}
	}
	return nil
}

// upsertQuota makes the user's quota for the template at least one
// (accept) or zero (reject).
func upsertQuota(tx *gorm.DB, userID int64, tpl string, now time.Time, accept bool) error {
	q := tx.Model(&model.SubscriptionQuota{}).Where("user_id = ? AND template_id = ?", userID, tpl)
	var res *gorm.DB
	if accept {
		res = q.Where("remaining < 1").Updates(map[string]any{"remaining": 1, "updated_at": now})
	} else {
		res = q.Updates(map[string]any{"remaining": 0, "updated_at": now})
	}
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected > 0 {
		return nil
	}
	var n int64
	if err := tx.Model(&model.SubscriptionQuota{}).Where("user_id = ? AND template_id = ?", userID, tpl).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	remaining := 0
	if accept {
		remaining = 1
	}
	return tx.Create(&model.SubscriptionQuota{UserID: userID, TemplateID: tpl, Remaining: remaining}).Error
}

// pushEventRetention is how long a push event's key is kept: WeChat retries
// a delivery within seconds, so a week is ample.
const pushEventRetention = 7 * 24 * time.Hour

// Purge deletes the keys of old push events.
func (s *PushService) Purge(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("created_at < ?", s.clock.Now().Add(-pushEventRetention)).Delete(&model.PushEvent{})
	return res.RowsAffected, res.Error
}
