package validate

import (
	"regexp"
	"strings"

	"github.com/lambkin/lambkin/internal/api/model"
)

// matcher evaluates a model pattern against a whole value, as Java's
// Pattern.matches does. The model writes a few patterns with negative
// look-arounds, which RE2 lacks: a leading (?!X) and a trailing (?<!X). They
// are split off and checked as separate prefix and suffix tests.
type matcher struct {
	whole    *regexp.Regexp
	notStart []*regexp.Regexp // must not match at the start
	notEnd   []*regexp.Regexp // must not match at the end
}

func (m *matcher) match(s string) bool {
	if !m.whole.MatchString(s) {
		return false
	}
	for _, re := range m.notStart {
		if re.MatchString(s) {
			return false
		}
	}
	for _, re := range m.notEnd {
		if re.MatchString(s) {
			return false
		}
	}
	return true
}

// matchers holds every model pattern, compiled once at start-up and never
// changed afterwards.
var matchers = compileAll()

func compileAll() map[string]*matcher {
	all := map[string]*matcher{}
	for _, s := range model.Shapes {
		if s.Pattern != "" {
			all[s.Pattern] = compile(s.Pattern)
		}
	}
	return all
}

func compile(pattern string) *matcher {
	m := &matcher{}
	rest := pattern
	for _, kind := range []string{"(?!", "(?<!"} {
		for {
			i := strings.Index(rest, kind)
			if i < 0 {
				break
			}
			end := closingParen(rest, i)
			inner := rest[i+len(kind) : end]
			if kind == "(?!" {
				m.notStart = append(m.notStart, regexp.MustCompile(`^(?:`+inner+`)`))
			} else {
				m.notEnd = append(m.notEnd, regexp.MustCompile(`(?:`+inner+`)$`))
			}
			rest = rest[:i] + rest[end+1:]
		}
	}
	m.whole = regexp.MustCompile(`^(?:` + rest + `)$`)
	return m
}

// closingParen returns the index of the parenthesis closing the group that
// opens at s[open].
func closingParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(s) - 1
}
