package service

import (
	"regexp"
	"strings"
	"sync"
	"unicode"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// articlePolicy allows the markup the mini-program's rich-text component
// renders: paragraphs, headings, lists, emphasis, simple tables, https
// images and https links. Scripts, styles, iframes, event handlers and style
// attributes are removed. A compiled policy is safe for concurrent use.
var articlePolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "strong", "b", "em", "i", "u", "s", "sub", "sup", "span", "section",
		"h2", "h3", "h4", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td")
	p.AllowURLSchemes("https")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("src").Matching(regexp.MustCompile(`^https://[^\s"'<>]+$`)).OnElements("img")
	p.AllowAttrs("alt").OnElements("img")
	p.AllowAttrs("width", "height").Matching(regexp.MustCompile(`^[0-9]{1,4}$`)).OnElements("img")
	return p
})

// sanitizeBody returns the body with only the allowed markup left.
func sanitizeBody(body string) string {
	return strings.TrimSpace(articlePolicy().Sanitize(body))
}

// blockElements end a line of plain text, so words of two paragraphs never
// run together in the search text.
var blockElements = map[string]bool{"p": true, "br": true, "hr": true, "li": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "blockquote": true, "section": true, "div": true,
	"tr": true, "td": true, "th": true, "ul": true, "ol": true, "table": true}

// plainText returns the text of an HTML fragment, one line per block, with
// entities decoded and runs of blank space folded.
func plainText(fragment string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(fragment))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return foldSpace(b.String())
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			if blockElements[string(name)] {
				b.WriteByte('\n')
			}
		}
	}
}

// foldSpace trims lines and drops empty ones; spaces inside a line fold to one.
func foldSpace(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.Join(strings.FieldsFunc(line, unicode.IsSpace), " "); line != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
