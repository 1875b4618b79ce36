//! A character diff for reworded task texts: `督促[-企业-]{+生产企业+}建立…` (wdiff's marks), from
//! the longest common subsequence of the two texts' characters. Texts too long for the quadratic
//! table are shown whole, as one replacement.

/// Cells of the LCS table above which the diff is one replacement (two 2,000-character texts).
const MAX_CELLS: usize = 4_000_000;

/// `old` → `new` with `[-removed-]` and `{+added+}` marks; unchanged text as is.
pub fn char_diff(old: &str, new: &str) -> String {
    let a: Vec<char> = old.chars().collect();
    let b: Vec<char> = new.chars().collect();
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        return format!("[-{old}-]{{+{new}+}}");
    }
    // lcs[i][j]: LCS length of a[i..] and b[j..].
    let w = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * w];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * w + j] = if a[i] == b[j] {
                lcs[(i + 1) * w + j + 1] + 1
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    let (mut del, mut ins) = (String::new(), String::new());
    let flush = |out: &mut String, del: &mut String, ins: &mut String| {
        if !del.is_empty() {
            out.push_str(&format!("[-{del}-]"));
            del.clear();
        }
        if !ins.is_empty() {
            out.push_str(&format!("{{+{ins}+}}"));
            ins.clear();
        }
    };
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            flush(&mut out, &mut del, &mut ins);
            out.push(a[i]);
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i * w + j + 1] >= lcs[(i + 1) * w + j]) {
            ins.push(b[j]);
            j += 1;
        } else {
            del.push(a[i]);
            i += 1;
        }
    }
    flush(&mut out, &mut del, &mut ins);
    out
}

#[cfg(test)]
mod tests {
    use super::char_diff;

    #[test]
    fn marks_removed_and_added_runs() {
        assert_eq!(
            char_diff("督促企业建立清单", "督促生产企业建立清单"),
            "督促{+生产+}企业建立清单"
        );
        assert_eq!(char_diff("每月报送", "每季度报送"), "每[-月-]{+季度+}报送");
        assert_eq!(char_diff("相同", "相同"), "相同");
        assert_eq!(char_diff("", "新"), "{+新+}");
        assert_eq!(char_diff("旧", ""), "[-旧-]");
    }
}
