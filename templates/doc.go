// Package templates holds the HTML pages (html/template, embedded) and one
// typed render method per page. Pages are Vietnamese by default and English
// through ui_locales or Accept-Language. It makes no decisions: handlers pass
// in everything a page shows.
//
// Each feature adds its page files under html/, its typed data and render
// method in a Go file of its own, and its messages with Register in init.
package templates
