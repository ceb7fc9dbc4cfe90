package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2"
	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/miniprogram"
	miniConfig "github.com/silenceper/wechat/v2/miniprogram/config"
	"github.com/silenceper/wechat/v2/miniprogram/security"
	"github.com/silenceper/wechat/v2/miniprogram/subscribe"
	"github.com/silenceper/wechat/v2/util"
	"github.com/sirupsen/logrus"
)

// WeChat errors.
var (
	ErrWeChatCodeInvalid = newErr(KindUnauthorized, "wechat_code_invalid", "the WeChat code is invalid or already used; call wx.login again")
	ErrWeChatUnavailable = newErr(KindUpstream, "wechat_unavailable", "WeChat did not answer, try again shortly")
)

// WeChatError is an error answer from WeChat's API, with its errcode.
type WeChatError struct {
	API     string
	ErrCode int64
	ErrMsg  string
}

func (e *WeChatError) Error() string {
	return fmt.Sprintf("wechat %s: errcode=%d errmsg=%s", e.API, e.ErrCode, e.ErrMsg)
}

// WeChat codes with a meaning for us.
const (
	wxCodeInvalid       = 40029
	wxCodeUsed          = 40163
	wxAccessTokenBad    = 40001
	wxAccessTokenExpire = 42001
	wxSystemBusy        = -1
)

// WeChatSession is what code2session returns.
type WeChatSession struct {
	OpenID     string
	UnionID    string
	SessionKey string
}

// SubscribeMessage is one WeChat subscribe message.
type SubscribeMessage struct {
	ToOpenID   string
	TemplateID string
	Page       string
	Data       map[string]string
}

// TextScene is the content-security scene of a text.
type TextScene int

// Scenes of WeChat's msgSecCheck v2.
const (
	SceneComment TextScene = TextScene(security.MsgSceneComment)
	SceneForum   TextScene = TextScene(security.MsgSceneForum)
	// SceneProfile is 资料 (scene 1): avatars.
	SceneProfile TextScene = TextScene(security.MsgSceneMaterial)
)

// WeChatClient talks to the WeChat mini-program API through
// silenceper/wechat. It implements the small interfaces the services declare
// (WeChatAuth, SubscribeSender, ContentChecker).
type WeChatClient struct {
	mp      *miniprogram.MiniProgram
	cache   cache.Cache
	cacheKy string
	state   string
	timeout time.Duration
	log     *slog.Logger
	// OnCall, when set, is told of every call to WeChat: errcode is
	// WeChat's answer (0 for success); err is set when the call failed, with
	// errcode 0 when WeChat gave no answer (metrics).
	OnCall func(api string, errcode int64, err error)
}

// called reports one call to OnCall.
func (w *WeChatClient) called(api string, errcode int64, err error) {
	if w.OnCall != nil {
		w.OnCall(api, errcode, err)
	}
}

// WeChatOptions configure a WeChatClient.
type WeChatOptions struct {
	AppID, Secret    string
	Timeout          time.Duration
	MiniprogramState string
	// Redis, when set, holds the access token so replicas share one
	// (wechat_token.go), under RedisPrefix.
	Redis       *redis.Client
	RedisPrefix string
	// Transport, when set, carries every request (tests point it at a fake).
	Transport http.RoundTripper
}

// NewWeChatClient builds the client. The SDK keeps its HTTP client in a
// package variable, so this sets it process-wide; build one per process.
func NewWeChatClient(o WeChatOptions, log *slog.Logger) *WeChatClient {
	// The SDK's init() turns the global logrus logger to Debug on stdout,
	// which would print request details into our logs.
	logrus.SetLevel(logrus.WarnLevel)
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	// The SDK's cache holds only its own access token. With Redis, that
	// handle is replaced below by one shared across replicas.
	var c cache.Cache = cache.NewMemory()
	wc := wechat.NewWechat()
	wc.SetCache(c)
	wc.SetHTTPClient(&http.Client{Timeout: o.Timeout, Transport: o.Transport})
	// The stable access token: callers sharing the app id no longer
	// invalidate each other's tokens (wechat_token.go).
	mp := wc.GetMiniProgram(&miniConfig.Config{AppID: o.AppID, AppSecret: o.Secret, Cache: c, UseStableAK: true})
	w := &WeChatClient{
		mp: mp, cache: c, cacheKy: sdkTokenKey(o.AppID),
		state: o.MiniprogramState, timeout: o.Timeout, log: log,
	}
	if o.Redis != nil {
		// Replicas share one stable token through Redis.
		tok := newRedisAccessToken(o.Redis, o.RedisPrefix, o.AppID, o.Secret, log)
		mp.SetAccessTokenContextHandle(tok)
		w.cache, w.cacheKy = tok, wxTokenKey(o.AppID)
	}
	return w
}

// wxLoginCodeRe is what a wx.login code looks like. The SDK puts the code
// into the code2session URL unescaped, so nothing else may reach it: a space
// broke the request (a 502 for a bad code) and "&x=" would add parameters.
var wxLoginCodeRe = regexp.MustCompile(`^[0-9A-Za-z_-]{1,128}$`)

// Code2Session exchanges a wx.login code for the user's openid.
func (w *WeChatClient) Code2Session(ctx context.Context, code string) (WeChatSession, error) {
	if !wxLoginCodeRe.MatchString(code) {
		return WeChatSession{}, ErrWeChatCodeInvalid
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	res, err := w.mp.GetAuth().Code2SessionContext(ctx, code)
	if err != nil {
		return WeChatSession{}, w.classify("code2session", err)
	}
	w.called("code2session", 0, nil)
	if res.OpenID == "" {
		return WeChatSession{}, ErrWeChatUnavailable.Wrap(errors.New("code2session: empty openid"))
	}
	return WeChatSession{OpenID: res.OpenID, UnionID: res.UnionID, SessionKey: res.SessionKey}, nil
}

// PhoneNumber exchanges a getPhoneNumber code for the user's phone number.
func (w *WeChatClient) PhoneNumber(ctx context.Context, code string) (string, error) {
	var phone string
	err := w.withToken(ctx, "getuserphonenumber", func(ctx context.Context) error {
		res, err := w.mp.GetAuth().GetPhoneNumberContext(ctx, code)
		if err == nil {
			phone = res.PhoneInfo.PurePhoneNumber
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return phone, nil
}

// SendSubscribe sends one subscribe message.
func (w *WeChatClient) SendSubscribe(ctx context.Context, m SubscribeMessage) error {
	data := make(map[string]*subscribe.DataItem, len(m.Data))
	for k, v := range m.Data {
		data[k] = &subscribe.DataItem{Value: v}
	}
	return w.withToken(ctx, "subscribe.send", func(context.Context) error {
		return w.mp.GetSubscribe().Send(&subscribe.Message{
			ToUser: m.ToOpenID, TemplateID: m.TemplateID, Page: m.Page, Data: data,
			MiniprogramState: w.state, Lang: "zh_CN",
		})
	})
}

// TextVerdict is WeChat's suggestion for a text: pass, review or risky.
type TextVerdict string

// Verdicts of msgSecCheck.
const (
	VerdictPass   TextVerdict = "pass"
	VerdictReview TextVerdict = "review"
	VerdictRisky  TextVerdict = "risky"
)

// CheckText runs WeChat's text content-security check (msgSecCheck v2).
func (w *WeChatClient) CheckText(ctx context.Context, openID string, scene TextScene, content string) (TextVerdict, error) {
	var verdict TextVerdict
	err := w.withToken(ctx, "msg_sec_check", func(ctx context.Context) error {
		res, err := w.mp.GetSecurity().MsgCheckContext(ctx, &security.MsgCheckRequest{
			OpenID: openID, Scene: security.MsgScene(scene), Content: content,
		})
		if err == nil {
			verdict = TextVerdict(res.Result.Suggest)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	switch verdict {
	case VerdictPass, VerdictReview, VerdictRisky:
		return verdict, nil
	}
	return "", ErrWeChatUnavailable.Wrap(fmt.Errorf("msg_sec_check: unknown suggest %q", verdict))
}

// CheckMediaAsync sends an image to WeChat's asynchronous content check
// (mediaCheckAsync v2, media_type 2); WeChat fetches mediaURL itself and
// pushes the verdict to /wechat/push with the returned trace id.
func (w *WeChatClient) CheckMediaAsync(ctx context.Context, openID string, scene TextScene, mediaURL string) (string, error) {
	var trace string
	err := w.withToken(ctx, "media_check_async", func(ctx context.Context) error {
		t, err := w.mp.GetSecurity().MediaCheckAsyncContext(ctx, &security.MediaCheckAsyncRequest{
			MediaURL: mediaURL, MediaType: 2, OpenID: openID, Scene: uint8(scene),
		})
		trace = t
		return err
	})
	if err != nil {
		return "", err
	}
	if trace == "" {
		return "", ErrWeChatUnavailable.Wrap(errors.New("media_check_async: empty trace_id"))
	}
	return trace, nil
}

// withToken runs call with a deadline; when WeChat says the cached access
// token is bad, it drops the token and tries once more.
func (w *WeChatClient) withToken(ctx context.Context, api string, call func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, w.timeout)
		err := call(cctx)
		cancel()
		if err == nil {
			w.called(api, 0, nil)
			return nil
		}
		cerr := w.classify(api, err)
		var we *WeChatError
		if attempt == 0 && errors.As(cerr, &we) && (we.ErrCode == wxAccessTokenBad || we.ErrCode == wxAccessTokenExpire) {
			_ = w.cache.Delete(w.cacheKy)
			continue
		}
		return cerr
	}
}

var errcodeRe = regexp.MustCompile(`errcode=\s*(-?\d+)`)

// classify turns an SDK error into ErrWeChatCodeInvalid, a *WeChatError
// (wrapped in ErrWeChatUnavailable when WeChat itself failed) or
// ErrWeChatUnavailable for network failures and timeouts.
func (w *WeChatClient) classify(api string, err error) error {
	err = redactURLs(err)
	var code int64
	var msg string
	var ce *util.CommonError
	switch {
	case errors.As(err, &ce):
		code, msg = ce.ErrCode, ce.ErrMsg
	default:
		m := errcodeRe.FindStringSubmatch(err.Error())
		if m == nil {
			w.log.Warn("wechat call failed", "api", api, "err", err.Error())
			w.called(api, 0, err)
			return ErrWeChatUnavailable.Wrap(err)
		}
		code, _ = strconv.ParseInt(m[1], 10, 64)
		msg = err.Error()
	}
	we := &WeChatError{API: api, ErrCode: code, ErrMsg: msg}
	w.log.Warn("wechat answered an error", "api", api, "errcode", code)
	w.called(api, code, we)
	switch code {
	case wxCodeInvalid, wxCodeUsed:
		return ErrWeChatCodeInvalid.Wrap(we)
	case wxSystemBusy:
		return ErrWeChatUnavailable.Wrap(we)
	}
	return we
}

// urlQueryRe matches a URL's query string in an error text.
var urlQueryRe = regexp.MustCompile(`(https?://[^\s"?]+)\?[^\s"]*`)

// redactedError is an error whose text lost the query strings of URLs; it
// still unwraps to the original (errors.Is and errors.As keep working).
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactURLs hides the query strings in err's text: the SDK's network and
// HTTP-status errors carry the request URL, whose query holds the app
// secret, the wx.login code or the access token. The text then goes to logs
// and to the push_error column, so it must not hold them.
func redactURLs(err error) error {
	msg := err.Error()
	clean := urlQueryRe.ReplaceAllString(msg, "$1?[redacted]")
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}
