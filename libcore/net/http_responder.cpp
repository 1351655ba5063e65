// net/http_responder: status, head and body pieces for a GET or HEAD (see the header).
#include "conduit/net/http_responder.hpp"

#include <algorithm>

#include "conduit/net/http.hpp"
#include "conduit/net/http_error_page.hpp"

namespace conduit::net::http {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Bytes [first, first+length) of prefix + file, as one piece after `lead`.
BodyPiece slice(std::string lead, std::string_view prefix, std::uint64_t first, std::uint64_t length) {
  BodyPiece p;
  p.text = std::move(lead);
  std::uint64_t end = first + length;
  if (first < prefix.size()) {
    auto stop = std::min<std::uint64_t>(end, prefix.size());
    p.text.append(prefix.substr(static_cast<std::size_t>(first), static_cast<std::size_t>(stop - first)));
    first = stop;
  }
  if (first < end) {
    p.file_first = first - prefix.size();
    p.file_length = end - first;
  }
  return p;
}

void add_line(std::string& extra, std::string_view name, std::string_view value) {
  extra += name;
  extra += ": ";
  extra += value;
  extra += "\r\n";
}

}  // namespace

RequestFields scan_fields(std::string_view head) {
  RequestFields f;
  auto first_lf = head.find('\n');  // skip the request line
  if (first_lf == std::string_view::npos) return f;
  head.remove_prefix(first_lf + 1);
  while (!head.empty()) {
    auto lf = head.find('\n');
    std::string_view line = head.substr(0, lf);
    head.remove_prefix(lf == std::string_view::npos ? head.size() : lf + 1);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    std::optional<std::string_view>* slot = nullptr;
    if (iequals(name, "if-match")) slot = &f.conditions.if_match;
    else if (iequals(name, "if-none-match")) slot = &f.conditions.if_none_match;
    else if (iequals(name, "if-modified-since")) slot = &f.conditions.if_modified_since;
    else if (iequals(name, "if-unmodified-since")) slot = &f.conditions.if_unmodified_since;
    else if (iequals(name, "if-range")) slot = &f.if_range;
    if (slot && !*slot) *slot = value;
  }
  return f;
}

namespace {

// Whether `s` is well-formed UTF-8 (RFC 3629: no overlong form, no surrogate, nothing past
// U+10FFFF).
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t more = 0;
    unsigned char low = 0x80, high = 0xbf;  // the first continuation byte's bounds
    if (c < 0x80) more = 0;
    else if (c >= 0xc2 && c <= 0xdf) more = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c == 0xe0) low = 0xa0;   // overlong
      if (c == 0xed) high = 0x9f;  // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c == 0xf0) low = 0x90;   // overlong
      if (c == 0xf4) high = 0x8f;  // past U+10FFFF
    } else {
      return false;
    }
    if (s.size() - i - 1 < more) return false;
    for (std::size_t k = 1; k <= more; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xbf)) return false;
    }
    i += more + 1;
  }
  return true;
}

}  // namespace

std::string content_disposition(std::string_view type, std::string_view name) {
  // filename= for every client: ASCII with '"' and '\\' escaped and every other byte (a control
  // byte, a byte past ASCII) as '_'. filename*= (RFC 6266, 8187) carries the exact name, only
  // where it is UTF-8, the one charset that parameter says: a name in another encoding (or
  // none) gets the ASCII fallback alone, not bytes labelled as what they are not.
  std::string plain;
  bool ascii = true;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) {
      plain += '_';
      ascii = false;
    } else {
      if (ch == '"' || ch == '\\') plain += '\\';
      plain += ch;
    }
  }
  std::string out(type);
  out += "; filename=\"" + plain + "\"";
  if (!ascii && valid_utf8(name)) out += "; filename*=UTF-8''" + percent_encode(name);
  return out;
}

Validators validators_of(const Lookup& lookup) {
  struct stat vst = lookup.st;  // the size served: the file's header goes first
  vst.st_size += static_cast<off_t>(lookup.prefix_of_file.size());
  return validators_for(vst);
}

ResponsePlan plan_response(bool head_only, Lookup lookup, std::optional<std::string_view> range,
                           const RequestFields& fields, const ResponderOptions& options, bool keep_alive) {
  ResponsePlan plan;
  plan.keep_alive = keep_alive;
  ResponseHead h;
  h.server = options.server;

  auto simple = [&](int status, std::string body, std::string_view type) {
    h.status = status;
    h.content_type = type;
    h.content_length = body.size();
    // A malformed request or our own failure: close, as nginx does; a miss keeps the connection.
    if (status == 400 || status >= 500) plan.keep_alive = false;
    h.keep_alive = plan.keep_alive;
    plan.status = status;
    plan.head = format_response_head(h);
    if (!head_only && !body.empty()) plan.body.push_back({std::move(body), 0, 0});
    return std::move(plan);
  };

  if (lookup.status != 200) {
    if (lookup.status == 301) add_line(h.extra, "Location", lookup.location);
    return simple(lookup.status, error_page(lookup.status, options.server), "text/html");
  }
  if (lookup.listing) return simple(200, std::move(lookup.body), "text/html; charset=utf-8");

  std::uint64_t size = lookup.prefix_of_file.size() + static_cast<std::uint64_t>(lookup.st.st_size);
  Validators v = validators_of(lookup);
  std::string last_modified = format_http_date(v.last_modified);
  std::string type = options.content_type;
  if (type.empty())
    type = options.mime ? std::string(options.mime->lookup(lookup.name)) : "application/octet-stream";

  std::string validators;
  add_line(validators, "Last-Modified", last_modified);
  add_line(validators, "ETag", v.etag);

  switch (evaluate_preconditions(fields.conditions, v, true)) {
    case Precondition::Failed:
      return simple(412, error_page(412, options.server), "text/html");
    case Precondition::NotModified:
      h.status = 304;
      h.extra = validators;
      h.no_content_length = true;
      h.keep_alive = keep_alive;
      plan.status = 304;
      plan.head = format_response_head(h);
      return plan;
    case Precondition::Proceed:
      break;
  }

  if (range && fields.if_range && !if_range_matches(*fields.if_range, v)) range.reset();
  RangeSet set = parse_ranges(range, size, options.max_ranges);

  h.extra = validators;
  if (!options.disposition.empty()) add_line(h.extra, "Content-Disposition", content_disposition(options.disposition, lookup.name));
  h.keep_alive = keep_alive;
  plan.file_size = static_cast<std::uint64_t>(lookup.st.st_size);
  plan.file = lookup.fd;
  plan.owned = std::move(lookup.owned);
  plan.label = std::move(lookup.label);
  std::string_view prefix = lookup.prefix_of_file;

  switch (set.kind) {
    case RangeSet::Kind::Unsatisfiable:
    {
      // nginx's page, as for every error (the range set is the client's mistake).
      std::string page = error_page(416, options.server);
      h.status = 416;
      h.content_range = "bytes */" + std::to_string(size);
      h.content_type = kErrorPageType;
      h.content_length = page.size();
      plan.status = 416;
      plan.head = format_response_head(h);
      if (!head_only) plan.body.push_back({std::move(page), 0, 0});
      plan.file = -1;
      plan.owned.reset();
      return plan;
    }
    case RangeSet::Kind::Full:
      h.status = 200;
      h.content_type = type;
      h.content_length = size;
      if (!head_only) plan.body.push_back(slice({}, prefix, 0, size));
      break;
    case RangeSet::Kind::Partial:
      h.status = 206;
      if (set.ranges.size() == 1) {
        const ByteRange& r = set.ranges.front();
        h.content_type = type;
        h.content_length = r.length;
        h.content_range = content_range(r, size);
        if (!head_only) plan.body.push_back(slice({}, prefix, r.first, r.length));
      } else {
        Multipart m = multipart_layout(set.ranges, size, type, new_boundary());
        std::string multipart_type = "multipart/byteranges; boundary=" + m.boundary;
        h.content_type = multipart_type;
        h.content_length = m.content_length;
        plan.status = 206;
        plan.head = format_response_head(h);
        if (!head_only) {
          for (std::size_t i = 0; i < set.ranges.size(); ++i)
            plan.body.push_back(slice(std::move(m.part_heads[i]), prefix, set.ranges[i].first, set.ranges[i].length));
          plan.body.push_back({std::move(m.tail), 0, 0});
        }
        plan.file_response = true;
        return plan;
      }
      break;
  }
  plan.status = h.status;
  plan.head = format_response_head(h);
  plan.file_response = true;
  return plan;
}

}  // namespace conduit::net::http
