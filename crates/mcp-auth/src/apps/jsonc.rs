//! Editing another app's JSON (or JSONC: VS Code's comments and trailing
//! commas) as text: find where a value sits, then replace, insert or remove
//! just those bytes. The rest of the file stays byte for byte, which a
//! parse-and-serialize round trip could not promise (comments, key order,
//! spacing, numbers written as the user wrote them).

/// Deepest nesting read; a config file is shallow.
const MAX_DEPTH: usize = 64;

/// Where an object member sits in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub key: String,
    /// From the key's opening quote.
    pub start: usize,
    pub value_start: usize,
    pub value_end: usize,
    /// Just past the comma that follows the value, if there is one.
    pub comma_end: Option<usize>,
}

/// Where an object sits, and its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSpan {
    pub open: usize,
    /// The closing brace.
    pub close: usize,
    pub members: Vec<Member>,
}

/// A text that is not JSON(C); nothing is changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

struct Reader<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn err<T>(&self, what: &str) -> Result<T, Unreadable> {
        let line = self.text[..self.pos.min(self.text.len())].iter().filter(|&&b| b == b'\n').count() + 1;
        Err(Unreadable(format!("{what} on line {line}")))
    }

    /// Whitespace and comments.
    fn skip(&mut self) -> Result<(), Unreadable> {
        loop {
            match self.text.get(self.pos..self.pos + 2) {
                Some(b"//") => {
                    while self.pos < self.text.len() && self.text[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                Some(b"/*") => {
                    let Some(end) = self.text[self.pos + 2..].windows(2).position(|w| w == b"*/") else {
                        return self.err("a comment that never ends");
                    };
                    self.pos += 2 + end + 2;
                }
                _ => match self.text.get(self.pos) {
                    Some(b' ' | b'\t' | b'\n' | b'\r') => self.pos += 1,
                    // A byte-order mark at the very start.
                    Some(0xEF) if self.pos == 0 && self.text.starts_with(&[0xEF, 0xBB, 0xBF]) => self.pos += 3,
                    _ => return Ok(()),
                },
            }
        }
    }

    fn string(&mut self) -> Result<String, Unreadable> {
        let start = self.pos;
        self.pos += 1; // the opening quote
        while let Some(&b) = self.text.get(self.pos) {
            match b {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    let raw = std::str::from_utf8(&self.text[start..self.pos]).map_err(|_| Unreadable("text that is not UTF-8".into()))?;
                    return serde_json::from_str::<String>(raw).or_else(|_| self.err("a malformed string"));
                }
                b'\n' => return self.err("a string broken by a line end"),
                _ => self.pos += 1,
            }
        }
        self.err("a string that never ends")
    }

    /// Skip one value, returning its object span when it is an object.
    fn value(&mut self, depth: usize) -> Result<Option<ObjectSpan>, Unreadable> {
        if depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        self.skip()?;
        match self.text.get(self.pos) {
            Some(b'{') => self.object(depth).map(Some),
            Some(b'[') => {
                self.pos += 1;
                loop {
                    self.skip()?;
                    match self.text.get(self.pos) {
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(None);
                        }
                        Some(b',') => self.pos += 1,
                        Some(_) => {
                            self.value(depth + 1)?;
                        }
                        None => return self.err("a list that never ends"),
                    }
                }
            }
            Some(b'"') => self.string().map(|_| None),
            Some(b) if b.is_ascii_digit() || *b == b'-' || b.is_ascii_alphabetic() => {
                let start = self.pos;
                while self.text.get(self.pos).is_some_and(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b)) {
                    self.pos += 1;
                }
                let word = &self.text[start..self.pos];
                let ok = matches!(word, b"true" | b"false" | b"null")
                    || std::str::from_utf8(word).ok().and_then(|w| w.parse::<f64>().ok()).is_some();
                if ok {
                    Ok(None)
                } else {
                    self.err("an unknown word")
                }
            }
            _ => self.err("a value was expected"),
        }
    }

    fn object(&mut self, depth: usize) -> Result<ObjectSpan, Unreadable> {
        let open = self.pos;
        self.pos += 1;
        let mut members: Vec<Member> = Vec::new();
        loop {
            self.skip()?;
            match self.text.get(self.pos) {
                Some(b'}') => {
                    let close = self.pos;
                    self.pos += 1;
                    return Ok(ObjectSpan { open, close, members });
                }
                Some(b',') if members.last().is_some_and(|m| m.comma_end.is_none()) => {
                    self.pos += 1;
                    if let Some(last) = members.last_mut() {
                        last.comma_end = Some(self.pos);
                    }
                }
                Some(b'"') if members.last().is_none_or(|m| m.comma_end.is_some()) => {
                    let start = self.pos;
                    let key = self.string()?;
                    self.skip()?;
                    if self.text.get(self.pos) != Some(&b':') {
                        return self.err("a ':' was expected");
                    }
                    self.pos += 1;
                    self.skip()?;
                    let value_start = self.pos;
                    self.value(depth + 1)?;
                    members.push(Member { key, start, value_start, value_end: self.pos, comma_end: None });
                }
                Some(_) => return self.err("a key or '}' was expected"),
                None => return self.err("an object that never ends"),
            }
        }
    }
}

/// The root object of a JSON(C) text; `None` for an empty text.
pub fn root(text: &str) -> Result<Option<ObjectSpan>, Unreadable> {
    let mut r = Reader { text: text.as_bytes(), pos: 0 };
    r.skip()?;
    if r.pos == r.text.len() {
        return Ok(None);
    }
    if r.text[r.pos] != b'{' {
        return r.err("the file does not hold an object");
    }
    let span = r.object(0)?;
    r.skip()?;
    if r.pos != r.text.len() {
        return r.err("text after the end of the object");
    }
    Ok(Some(span))
}

/// The object at `span`'s member `key`, if that member is an object.
pub fn object_at(text: &str, member: &Member) -> Result<Option<ObjectSpan>, Unreadable> {
    let mut r = Reader { text: text.as_bytes(), pos: member.value_start };
    if text.as_bytes().get(member.value_start) != Some(&b'{') {
        return Ok(None);
    }
    r.object(0).map(Some)
}

impl ObjectSpan {
    pub fn member(&self, key: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.key == key)
    }
}

/// The indentation of the line `pos` is on.
fn indent_at(text: &str, pos: usize) -> String {
    let line_start = text[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
    text[line_start..].chars().take_while(|c| *c == ' ' || *c == '\t').collect()
}

/// `text` with `object` gaining the member `"key": value` at its end, written
/// in the object's own indentation.
pub fn insert_member(text: &str, object: &ObjectSpan, key: &str, value: &str) -> String {
    let key = serde_json::to_string(key).expect("a string serializes");
    let (inner, outer) = match object.members.first() {
        Some(m) => (indent_at(text, m.start), indent_at(text, object.close)),
        None => {
            let outer = indent_at(text, object.open);
            (format!("{outer}  "), outer)
        }
    };
    let value = reindent(value, &inner);
    match object.members.last() {
        Some(last) => {
            // After the last member; a file that ends its members with a
            // comma (JSONC) gets one after the new member too, so removing it
            // again gives the same bytes back.
            let (at, comma, trail) = match last.comma_end {
                Some(c) => (c, "", ","),
                None => (last.value_end, ",", ""),
            };
            format!("{}{comma}\n{inner}{key}: {value}{trail}{}", &text[..at], &text[at..])
        }
        // `{}`: laid out on lines of its own.
        None if object.close == object.open + 1 => {
            format!("{}\n{inner}{key}: {value}\n{outer}{}", &text[..object.open + 1], &text[object.close..])
        }
        // Whatever the braces held (spaces, a comment) stays after the member.
        None => format!("{}\n{inner}{key}: {value}{}", &text[..object.open + 1], &text[object.open + 1..]),
    }
}

/// `text` with one member's value replaced by `value`, exactly as given.
pub fn replace_value(text: &str, member: &Member, value: &str) -> String {
    format!("{}{}{}", &text[..member.value_start], value, &text[member.value_end..])
}

/// A pretty-printed value indented to sit where `member`'s value is.
pub fn fit(text: &str, member: &Member, value: &str) -> String {
    reindent(value, &indent_at(text, member.start))
}

/// `text` without one member (and the comma that joined it to its neighbours):
/// the inverse of [`insert_member`].
pub fn remove_member(text: &str, object: &ObjectSpan, member: &Member) -> String {
    let index = object.members.iter().position(|m| m == member).expect("a member of this object");
    let (start, end) = if object.members.len() == 1 {
        let end = member.comma_end.unwrap_or(member.value_end);
        // Laid out on lines of its own (as `insert_member` writes into `{}`):
        // back to `{}`; otherwise only the member goes.
        let rest = &text[end..object.close];
        if rest.starts_with(['\n', '\r']) && rest.trim().is_empty() && text[object.open + 1..member.start].trim().is_empty() {
            (object.open + 1, object.close)
        } else {
            (object.open + 1, end)
        }
    } else if let Some(next) = object.members.get(index + 1) {
        (line_start_if_blank(text, member.start), line_start_if_blank(text, next.start))
    } else {
        let prev = &object.members[index - 1];
        match member.comma_end {
            Some(comma_end) => (prev.comma_end.unwrap_or(prev.value_end), comma_end),
            None => (prev.value_end, member.value_end),
        }
    };
    format!("{}{}", &text[..start], &text[end..])
}

/// The start of `pos`'s line if only whitespace precedes it there.
fn line_start_if_blank(text: &str, pos: usize) -> usize {
    let line_start = text[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
    if text[line_start..pos].chars().all(|c| c == ' ' || c == '\t') {
        line_start
    } else {
        pos
    }
}

/// A pretty-printed value's continuation lines shifted to `indent`.
fn reindent(value: &str, indent: &str) -> String {
    value.replace('\n', &format!("\n{indent}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VSCODE: &str = "// my settings\n{\n  \"servers\": {\n    // work\n    \"a\": {\"url\": \"https://a/mcp\"},\n    \"b\": {\"url\": \"https://b/mcp\",},\n  },\n  \"other\": [1, 2.5e3, true, null,],\n}\n";

    #[test]
    fn jsonc_spans_are_found() {
        let doc = root(VSCODE).unwrap().unwrap();
        let servers = object_at(VSCODE, doc.member("servers").unwrap()).unwrap().unwrap();
        let keys: Vec<&str> = servers.members.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["a", "b"]);
        let b = servers.member("b").unwrap();
        assert_eq!(&VSCODE[b.value_start..b.value_end], "{\"url\": \"https://b/mcp\",}");
        assert!(b.comma_end.is_some(), "the trailing comma is seen");
    }

    #[test]
    fn edits_touch_only_their_bytes_and_undo_exactly() {
        let doc = root(VSCODE).unwrap().unwrap();
        let servers = object_at(VSCODE, doc.member("servers").unwrap()).unwrap().unwrap();
        let added = insert_member(VSCODE, &servers, "c", "{\n  \"command\": \"x\"\n}");
        assert!(added.contains("    \"c\": {\n      \"command\": \"x\"\n    },\n  },"), "{added}");
        assert!(added.starts_with("// my settings\n{\n  \"servers\": {\n    // work\n"));
        serde_json::from_str::<serde_json::Value>(&crate::apps::import::strip_jsonc(&added)).unwrap();
        // Removing it again gives the original back, byte for byte.
        let root2 = root(&added).unwrap().unwrap();
        let servers2 = object_at(&added, root2.member("servers").unwrap()).unwrap().unwrap();
        let again = remove_member(&added, &servers2, servers2.member("c").unwrap());
        assert_eq!(again, VSCODE);
        // Replacing a value and putting the old text back is exact too.
        let a = servers.member("a").unwrap();
        let old = &VSCODE[a.value_start..a.value_end];
        let replaced = replace_value(VSCODE, a, &fit(VSCODE, a, "{\"command\": \"y\"}"));
        let ra = root(&replaced).unwrap().unwrap();
        let sa = object_at(&replaced, ra.member("servers").unwrap()).unwrap().unwrap();
        assert_eq!(replace_value(&replaced, sa.member("a").unwrap(), old), VSCODE);
    }

    #[test]
    fn plain_json_without_trailing_commas() {
        let text = "{\n  \"mcpServers\": {\n    \"a\": {}\n  }\n}";
        let doc = root(text).unwrap().unwrap();
        let servers = object_at(text, doc.member("mcpServers").unwrap()).unwrap().unwrap();
        let added = insert_member(text, &servers, "b", "{}");
        assert_eq!(added, "{\n  \"mcpServers\": {\n    \"a\": {},\n    \"b\": {}\n  }\n}");
        let r = root(&added).unwrap().unwrap();
        let s = object_at(&added, r.member("mcpServers").unwrap()).unwrap().unwrap();
        assert_eq!(remove_member(&added, &s, s.member("b").unwrap()), text);
        let empty = "{\n  \"mcpServers\": {}\n}";
        let r = root(empty).unwrap().unwrap();
        let s = object_at(empty, r.member("mcpServers").unwrap()).unwrap().unwrap();
        assert_eq!(insert_member(empty, &s, "b", "{}"), "{\n  \"mcpServers\": {\n    \"b\": {}\n  }\n}");
        // Braces that hold a comment or spaces keep them, and get them back.
        for inner in [" // add servers here\n  ", " "] {
            let text = format!("{{\n  \"servers\": {{{inner}}}\n}}");
            let r = root(&text).unwrap().unwrap();
            let s = object_at(&text, r.member("servers").unwrap()).unwrap().unwrap();
            let added = insert_member(&text, &s, "b", "{}");
            let r2 = root(&added).unwrap().unwrap();
            let s2 = object_at(&added, r2.member("servers").unwrap()).unwrap().unwrap();
            assert_eq!(s2.members.len(), 1, "{added}");
            assert_eq!(remove_member(&added, &s2, s2.member("b").unwrap()), text, "{added:?}");
        }
    }

    #[test]
    fn broken_text_is_refused_with_where() {
        for bad in ["{\"a\": }", "{\"a\" 1}", "[1]", "{\"a\": 1} x", "{/* open", "{\"a\": tru}"] {
            assert!(root(bad).is_err(), "{bad}");
        }
        assert_eq!(root("  \n").unwrap(), None);
    }
}
