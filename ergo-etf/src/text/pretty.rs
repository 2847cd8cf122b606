//! The multi-line form of a term, as `io_lib:format("~p", [Term])` lays it out in OTP 25:
//! [`Term::pretty`].
//!
//! `~p` differs from `~w` in two ways. Lists of printable latin-1 characters print as strings
//! (`"abc"`) and binaries of printable latin-1 bytes as `<<"abc">>` (the rules are `write`'s,
//! shared with the one-line `~p` of `Display`). And a term that does not fit in the 80-column
//! line is broken over lines the way `io_lib_pretty` does it: elements of
//! a list or tuple go one per line aligned after the bracket, except that runs of short
//! "atomic" elements (numbers, atoms, strings...) fill the line; a tuple whose first element is
//! an atom keeps that tag on the first line; map entries go one per line, and a value too wide
//! for its key's line goes below it, indented. The layout follows OTP's algorithm (without its
//! depth and size limits), so it matches `~p` exactly for the terms the tests compare.
//!
//! This module owns layout only: the text of atoms, numbers, pids... comes from `write`.

use crate::text::write::{map_entries_in_print_order, push_p_string, write_atomic, write_bits};
use crate::Term;

/// The line length `~p` uses.
const LINE_LENGTH: i64 = 80;

impl Term {
    /// The term as `io_lib:format("~p", [Term])` writes it at the start of a line: strings for
    /// printable lists and binaries, broken over lines to fit 80 columns. No trailing newline.
    /// The same text as `format!("{term:#}")`; `format!("{term}")` is this on one line.
    pub fn pretty(&self) -> String {
        match self {
            Term::List(_)
            | Term::ImproperList(..)
            | Term::Tuple(_)
            | Term::Map(_)
            | Term::Binary(_)
            | Term::BitBinary(_) => {}
            _ => {
                let mut out = String::new();
                write_atomic(&mut out, self);
                return out;
            }
        }
        let node = Node::of(self);
        let column: i64 = 1;
        if node.len < LINE_LENGTH - column {
            return node.flat();
        }
        let mut layout = Layout {
            line: LINE_LENGTH,
            max: node.len,
            tag_indent: 1,
        };
        layout.tag_indent = [-1, 4]
            .into_iter()
            .find(|&candidate| layout.check(candidate, &node, column, 0, 0).is_ok())
            .unwrap_or(1);
        layout.node(&node, column, (column - 1) as usize, 0, 0)
    }
}

/// A term prepared for layout: its one-line text length and its parts.
struct Node {
    kind: Kind,
    /// Characters of the one-line form.
    len: i64,
}

enum Kind {
    /// Text that never breaks (atoms, numbers, strings, printable binaries, empty containers).
    Text(String),
    /// A binary of non-printable bytes: its segments (`"1"`, `"2:3"`), which may wrap.
    Bits(Vec<String>),
    /// A list: elements and the tail of an improper list.
    List(Vec<Node>, Option<Box<Node>>),
    /// A tuple; `true` when its first element is an atom and it has more than one.
    Tuple(bool, Vec<Node>),
    /// A map's entries (each a `Pair`).
    Map(Vec<Node>),
    /// One `Key => Value` entry.
    Pair(Box<Node>, Box<Node>),
}

fn char_len(s: &str) -> i64 {
    s.chars().count() as i64
}

/// Length of comma-separated parts inside brackets of `brackets` characters.
fn joined_len<'a>(brackets: i64, parts: impl Iterator<Item = &'a Node>) -> i64 {
    let mut total = brackets;
    for (i, part) in parts.enumerate() {
        total += part.len + i64::from(i > 0);
    }
    total
}

impl Node {
    fn text(s: String) -> Node {
        Node {
            len: char_len(&s),
            kind: Kind::Text(s),
        }
    }

    fn of(term: &Term) -> Node {
        let mut string = String::new();
        if push_p_string(&mut string, term) {
            return Node::text(string);
        }
        match term {
            Term::List(items) if items.is_empty() => Node::text("[]".into()),
            Term::List(items) => {
                let nodes: Vec<Node> = items.iter().map(Node::of).collect();
                Node {
                    len: joined_len(2, nodes.iter()),
                    kind: Kind::List(nodes, None),
                }
            }
            Term::ImproperList(items, tail) => {
                let nodes: Vec<Node> = items.iter().map(Node::of).collect();
                let tail = Node::of(tail);
                Node {
                    len: joined_len(2, nodes.iter()) + 1 + tail.len,
                    kind: Kind::List(nodes, Some(Box::new(tail))),
                }
            }
            Term::Tuple(items) if items.is_empty() => Node::text("{}".into()),
            Term::Tuple(items) => {
                let tagged = items.len() > 1 && matches!(items.first(), Some(Term::Atom(_)));
                let nodes: Vec<Node> = items.iter().map(Node::of).collect();
                Node {
                    len: joined_len(2, nodes.iter()),
                    kind: Kind::Tuple(tagged, nodes),
                }
            }
            Term::Map(map) if map.is_empty() => Node::text("#{}".into()),
            Term::Map(map) => {
                let pairs: Vec<Node> = map_entries_in_print_order(map)
                    .into_iter()
                    .map(|(k, v)| {
                        let (key, value) = (Node::of(k), Node::of(v));
                        Node {
                            len: key.len + 4 + value.len,
                            kind: Kind::Pair(Box::new(key), Box::new(value)),
                        }
                    })
                    .collect();
                Node {
                    len: joined_len(3, pairs.iter()),
                    kind: Kind::Map(pairs),
                }
            }
            Term::Binary(bytes) if bytes.is_empty() => Node::text("<<>>".into()),
            Term::Binary(_) | Term::BitBinary(_) => {
                let mut s = String::new();
                match term {
                    Term::BitBinary(b) => write_bits(&mut s, &b.bytes, b.bits_in_last),
                    _ => write_atomic(&mut s, term),
                }
                let inner = s.trim_start_matches("<<").trim_end_matches(">>");
                let segments: Vec<String> = inner
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect();
                Node {
                    len: char_len(&s),
                    kind: Kind::Bits(segments),
                }
            }
            other => {
                let mut s = String::new();
                write_atomic(&mut s, other);
                Node::text(s)
            }
        }
    }

    /// Whether OTP counts this as "atomic" for filling lines (its text is not structured).
    fn atomic(&self) -> bool {
        match &self.kind {
            Kind::Text(_) => true,
            Kind::Pair(k, v) => k.atomic() && v.atomic(),
            _ => false,
        }
    }

    /// The one-line form.
    fn flat(&self) -> String {
        let mut out = String::new();
        self.push_flat(&mut out);
        out
    }

    fn push_flat(&self, out: &mut String) {
        let push_all = |out: &mut String, nodes: &[Node]| {
            for (i, node) in nodes.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                node.push_flat(out);
            }
        };
        match &self.kind {
            Kind::Text(s) => out.push_str(s),
            Kind::Bits(segments) => {
                out.push_str("<<");
                out.push_str(&segments.join(","));
                out.push_str(">>");
            }
            Kind::List(items, tail) => {
                out.push('[');
                push_all(out, items);
                if let Some(tail) = tail {
                    out.push('|');
                    tail.push_flat(out);
                }
                out.push(']');
            }
            Kind::Tuple(_, items) => {
                out.push('{');
                push_all(out, items);
                out.push('}');
            }
            Kind::Map(pairs) => {
                out.push_str("#{");
                push_all(out, pairs);
                out.push('}');
            }
            Kind::Pair(key, value) => {
                key.push_flat(out);
                out.push_str(" => ");
                value.push_flat(out);
            }
        }
    }
}

/// The layout parameters: line length, the widest line (`max`, the one-line length of the whole
/// term, as OTP uses it), and the indentation of tagged tuples (-1: after the tag).
struct Layout {
    line: i64,
    max: i64,
    tag_indent: i64,
}

/// The layout would indent too far (more than half the line without room for the term).
struct TooFar;

fn spaces(out: &mut String, count: usize) {
    out.push_str(&" ".repeat(count));
}

/// The depth OTP's layout reserves for closing brackets after the element at `index`.
fn closing_depth(index: usize, count: usize, depth: i64) -> i64 {
    if index + 1 < count {
        0
    } else {
        depth + 1
    }
}

impl Layout {
    fn fits(&self, node: &Node, column: i64, depth: i64, written: i64) -> bool {
        node.len < self.line - column - depth && node.len + written + depth <= self.max
    }

    /// Whether an element of `len` can follow on the current line.
    fn fits_after(&self, len: i64, column: i64, depth: i64, written: i64) -> bool {
        let with_comma = 1 + len;
        if depth == 0 {
            with_comma + 1 < self.line - column && written + with_comma < self.max
        } else {
            with_comma < self.line - column - depth && written + with_comma + depth <= self.max
        }
    }

    fn map_value_indent(&self) -> i64 {
        if self.tag_indent > 0 {
            self.tag_indent
        } else {
            4
        }
    }

    fn node(&self, node: &Node, column: i64, indent: usize, depth: i64, written: i64) -> String {
        if self.fits(node, column, depth, written) {
            return node.flat();
        }
        match &node.kind {
            Kind::List(items, tail) => {
                let inner = self.elements(
                    items,
                    tail.as_deref(),
                    column + 1,
                    indent + 1,
                    depth,
                    written + 1,
                );
                format!("[{inner}]")
            }
            Kind::Tuple(true, items) => format!(
                "{{{}}}",
                self.tagged(items, column, indent, depth, written + 1)
            ),
            Kind::Tuple(false, items) => {
                format!(
                    "{{{}}}",
                    self.elements(items, None, column + 1, indent + 1, depth, written + 1)
                )
            }
            Kind::Map(pairs) => format!(
                "#{{{}}}",
                self.pairs(pairs, column + 2, indent + 2, depth, written + 1)
            ),
            Kind::Bits(segments) => self.bits(segments, column + 2, indent + 2, depth, written),
            Kind::Text(_) | Kind::Pair(..) => node.flat(),
        }
    }

    /// One element at the start of its line: returns its text and the width it takes (the
    /// whole line when it broke or is structured, so that the next element starts a new line).
    fn element(
        &self,
        node: &Node,
        column: i64,
        indent: usize,
        depth: i64,
        written: i64,
    ) -> (String, i64) {
        if node.atomic() && self.fits(node, column, depth, written) {
            (node.flat(), node.len)
        } else {
            (self.node(node, column, indent, depth, written), self.line)
        }
    }

    fn elements(
        &self,
        items: &[Node],
        tail: Option<&Node>,
        column: i64,
        indent: usize,
        depth: i64,
        written: i64,
    ) -> String {
        let Some((first, rest)) = items.split_first() else {
            return String::new();
        };
        let first_depth = if rest.is_empty() { depth + 1 } else { 0 };
        let (mut out, width) = self.element(first, column, indent, first_depth, written);
        out.push_str(&self.rest(
            rest,
            tail,
            column,
            column + width,
            indent,
            depth,
            written + width,
        ));
        out
    }

    /// The elements after the first, each preceded by a comma, then the tail of an improper list.
    #[allow(clippy::too_many_arguments)]
    fn rest(
        &self,
        items: &[Node],
        tail: Option<&Node>,
        start: i64,
        mut column: i64,
        indent: usize,
        depth: i64,
        mut written: i64,
    ) -> String {
        let mut out = String::new();
        for (i, item) in items.iter().enumerate() {
            let item_depth = closing_depth(i, items.len(), depth);
            if item.atomic() && self.fits_after(item.len, column, item_depth, written) {
                out.push(',');
                item.push_flat(&mut out);
                column += 1 + item.len;
                written += 1 + item.len;
            } else {
                let (text, width) = self.element(item, start, indent, item_depth, 0);
                out.push_str(",\n");
                spaces(&mut out, indent);
                out.push_str(&text);
                column = start + width;
                written = width;
            }
        }
        if let Some(tail) = tail {
            let tail_depth = depth + 1;
            out.push('|');
            if tail.atomic()
                && tail.len + 1 < self.line - column - tail_depth
                && tail.len + 1 + written + tail_depth <= self.max
            {
                tail.push_flat(&mut out);
            } else {
                out.push('\n');
                spaces(&mut out, indent);
                out.push_str(&self.node(tail, start, indent, tail_depth, 0));
            }
        }
        out
    }

    fn tagged(
        &self,
        items: &[Node],
        column: i64,
        indent: usize,
        depth: i64,
        written: i64,
    ) -> String {
        let Some((tag, rest)) = items.split_first() else {
            return String::new();
        };
        let tag_indent = tag.len + 2;
        let tag_column = column + tag_indent;
        let mut out = tag.flat();
        if self.tag_indent > 0 && tag_indent > self.tag_indent {
            let start = column + self.tag_indent;
            let inner_indent = indent + self.tag_indent as usize;
            out.push_str(&self.rest(
                rest,
                None,
                start,
                tag_column,
                inner_indent,
                depth,
                written + tag.len,
            ));
        } else {
            out.push(',');
            out.push_str(&self.elements(
                rest,
                None,
                tag_column,
                indent + tag_indent as usize,
                depth,
                written + tag.len + 1,
            ));
        }
        out
    }

    fn pairs(&self, pairs: &[Node], start: i64, indent: usize, depth: i64, written: i64) -> String {
        let Some((first, rest)) = pairs.split_first() else {
            return String::new();
        };
        let first_depth = if rest.is_empty() { depth + 1 } else { 0 };
        let (mut out, width) = self.pair(first, start, indent, first_depth, written);
        let mut column = start + width;
        let mut written = width;
        for (i, pair) in rest.iter().enumerate() {
            let pair_depth = closing_depth(i, rest.len(), depth);
            if pair.atomic() && self.fits_after(pair.len, column, pair_depth, written) {
                out.push(',');
                pair.push_flat(&mut out);
                column += 1 + pair.len;
                written += 1 + pair.len;
            } else {
                let (text, width) = self.pair(pair, start, indent, pair_depth, 0);
                out.push_str(",\n");
                spaces(&mut out, indent);
                out.push_str(&text);
                column = start + width;
                written = width;
            }
        }
        out
    }

    fn pair(
        &self,
        pair: &Node,
        column: i64,
        indent: usize,
        depth: i64,
        written: i64,
    ) -> (String, i64) {
        if self.fits(pair, column, depth, written) {
            return (
                pair.flat(),
                if pair.atomic() { pair.len } else { self.line },
            );
        }
        let Kind::Pair(key, value) = &pair.kind else {
            return (pair.flat(), self.line);
        };
        let step = self.map_value_indent();
        let mut out = self.node(key, column, indent, depth, written);
        out.push_str(" =>\n");
        spaces(&mut out, indent + step as usize);
        out.push_str(&self.node(value, column + step, indent + step as usize, depth, 0));
        (out, self.line)
    }

    /// A non-printable binary too long for its line: segments wrap, aligned after `<<`.
    fn bits(
        &self,
        segments: &[String],
        column: i64,
        indent: usize,
        depth: i64,
        written: i64,
    ) -> String {
        let width = 8.max((self.line - column).min(self.max - 4 - written) - depth);
        let mut out = String::from("<<");
        let mut room = width;
        if let Some((last, init)) = segments.split_last() {
            for segment in init {
                let len = char_len(segment) + 1;
                if room - len < 0 {
                    out.push('\n');
                    spaces(&mut out, indent);
                    room = width - len;
                } else {
                    room -= len;
                }
                out.push_str(segment);
                out.push(',');
            }
            if char_len(last) > room {
                out.push('\n');
                spaces(&mut out, indent);
            }
            out.push_str(last);
        }
        out.push_str(">>");
        out
    }

    /// OTP's feasibility check for a tag indentation: `Err` when some line would start too far
    /// right. Mirrors `node` without producing text.
    fn check(
        &self,
        indent: i64,
        node: &Node,
        column: i64,
        depth: i64,
        written: i64,
    ) -> Result<(), TooFar> {
        if self.fits(node, column, depth, written) {
            return Ok(());
        }
        match &node.kind {
            Kind::List(items, tail) => self.check_elements(
                indent,
                items,
                tail.as_deref(),
                column + 1,
                depth,
                written + 1,
            ),
            Kind::Tuple(true, items) => {
                let Some((tag, rest)) = items.split_first() else {
                    return Ok(());
                };
                let tag_indent = tag.len + 2;
                let tag_column = column + tag_indent;
                if indent > 0 && tag_indent > indent {
                    let start = column + indent;
                    if self.max + start <= self.line || start <= self.line / 2 {
                        self.check_rest(
                            indent,
                            rest,
                            None,
                            start,
                            tag_column,
                            depth,
                            written + 1 + tag.len,
                        )
                    } else {
                        Err(TooFar)
                    }
                } else if self.max + tag_column < self.line || tag_column < self.line / 2 {
                    self.check_elements(
                        indent,
                        rest,
                        None,
                        tag_column,
                        depth,
                        written + 1 + tag.len + 1,
                    )
                } else {
                    Err(TooFar)
                }
            }
            Kind::Tuple(false, items) => {
                self.check_elements(indent, items, None, column + 1, depth, written + 1)
            }
            Kind::Map(pairs) => {
                let start = column + 2;
                let Some((first, rest)) = pairs.split_first() else {
                    return Ok(());
                };
                let first_depth = if rest.is_empty() { depth + 1 } else { 0 };
                let width = self.check_pair(indent, first, start, first_depth, written + 2)?;
                let mut col = start + width;
                let mut wr = written + 2 + width;
                for (i, pair) in rest.iter().enumerate() {
                    let pair_depth = closing_depth(i, rest.len(), depth);
                    if pair.atomic() && self.fits_after(pair.len, col, pair_depth, wr) {
                        col += 1 + pair.len;
                        wr += 1 + pair.len;
                    } else {
                        let width = self.check_pair(indent, pair, start, pair_depth, 0)?;
                        col = start + width;
                        wr = width;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn check_pair(
        &self,
        indent: i64,
        pair: &Node,
        column: i64,
        depth: i64,
        written: i64,
    ) -> Result<i64, TooFar> {
        if self.fits(pair, column, depth, written) {
            return Ok(if pair.atomic() { pair.len } else { self.line });
        }
        if let Kind::Pair(key, value) = &pair.kind {
            self.check(indent, key, column, depth, written)?;
            let step = if indent > 0 { indent } else { 4 };
            self.check(indent, value, column + step, depth, 0)?;
        }
        Ok(self.line)
    }

    fn check_element(
        &self,
        indent: i64,
        node: &Node,
        column: i64,
        depth: i64,
        written: i64,
    ) -> Result<i64, TooFar> {
        if node.atomic() && self.fits(node, column, depth, written) {
            Ok(node.len)
        } else {
            self.check(indent, node, column, depth, written)?;
            Ok(self.line)
        }
    }

    fn check_elements(
        &self,
        indent: i64,
        items: &[Node],
        tail: Option<&Node>,
        column: i64,
        depth: i64,
        written: i64,
    ) -> Result<(), TooFar> {
        let Some((first, rest)) = items.split_first() else {
            return Ok(());
        };
        let first_depth = if rest.is_empty() { depth + 1 } else { 0 };
        let width = self.check_element(indent, first, column, first_depth, written)?;
        self.check_rest(
            indent,
            rest,
            tail,
            column,
            column + width,
            depth,
            written + width,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn check_rest(
        &self,
        indent: i64,
        items: &[Node],
        tail: Option<&Node>,
        start: i64,
        mut column: i64,
        depth: i64,
        mut written: i64,
    ) -> Result<(), TooFar> {
        for (i, item) in items.iter().enumerate() {
            let item_depth = closing_depth(i, items.len(), depth);
            if item.atomic() && self.fits_after(item.len, column, item_depth, written) {
                column += 1 + item.len;
                written += 1 + item.len;
            } else {
                let width = self.check_element(indent, item, start, item_depth, 0)?;
                column = start + width;
                written = width;
            }
        }
        if let Some(tail) = tail {
            let tail_depth = depth + 1;
            if !(tail.atomic()
                && tail.len + 1 < self.line - column - tail_depth
                && tail.len + 1 + written + tail_depth <= self.max)
            {
                self.check(indent, tail, column, tail_depth, 0)?;
            }
        }
        Ok(())
    }
}
