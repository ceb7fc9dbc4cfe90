package testkit

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"sync/atomic"

	"github.com/silenceper/wechat/v2/util"
)

// FakePushAESKey is the EncodingAESKey of the harness's message push (43
// characters, as the mini-program console makes them).
const FakePushAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

var pushNonce atomic.Int64

// PushSignature is WeChat's signature: sha1 of the sorted strings.
func PushSignature(parts ...string) string {
	sorted := append([]string(nil), parts...)
	sort.Strings(sorted)
	return util.Signature(sorted...)
}

// PushRequest builds what WeChat sends to the message-push URL for the JSON
// event payload: the query (signature, timestamp, nonce, and in safe mode
// encrypt_type=aes and msg_signature) and the body (the payload, or in safe
// mode {"ToUserName","Encrypt"} with the payload AES-encrypted for appID).
func PushRequest(token, aesKey, appID string, ts int64, payload any, encrypted bool) (string, []byte) {
	raw, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	timestamp := strconv.FormatInt(ts, 10)
	nonce := fmt.Sprintf("n%d", pushNonce.Add(1))
	q := url.Values{}
	q.Set("timestamp", timestamp)
	q.Set("nonce", nonce)
	q.Set("signature", PushSignature(token, timestamp, nonce))
	if !encrypted {
		return q.Encode(), raw
	}
	enc, err := util.EncryptMsg([]byte("0123456789abcdef"), raw, appID, aesKey)
	if err != nil {
		panic(err)
	}
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", PushSignature(token, timestamp, nonce, string(enc)))
	body, _ := json.Marshal(map[string]string{"ToUserName": "gh_fake", "Encrypt": string(enc)})
	return q.Encode(), body
}

// PushRequestXML is PushRequest for the XML data format: payload is the
// <xml>…</xml> message; in safe mode the body is
// <xml><ToUserName/><Encrypt/></xml>.
func PushRequestXML(token, aesKey, appID string, ts int64, payload string, encrypted bool) (string, []byte) {
	timestamp := strconv.FormatInt(ts, 10)
	nonce := fmt.Sprintf("x%d", pushNonce.Add(1))
	q := url.Values{}
	q.Set("timestamp", timestamp)
	q.Set("nonce", nonce)
	q.Set("signature", PushSignature(token, timestamp, nonce))
	if !encrypted {
		return q.Encode(), []byte(payload)
	}
	enc, err := util.EncryptMsg([]byte("fedcba9876543210"), []byte(payload), appID, aesKey)
	if err != nil {
		panic(err)
	}
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", PushSignature(token, timestamp, nonce, string(enc)))
	return q.Encode(), []byte("<xml><ToUserName><![CDATA[gh_fake]]></ToUserName><Encrypt><![CDATA[" + string(enc) + "]]></Encrypt></xml>")
}
