//! The checklist as CSV (UTF-8 with a BOM, one row per task) and as Markdown (a table per area).
//!
//! May touch: nothing (pure: rows in, bytes/text out).

use super::{ExportError, Row};

/// The CSV header: the source table's columns, 重点任务 split into 项目 and 具体任务, with the task
/// id first so a spreadsheet can be sorted and matched back to the plan.
pub const CSV_HEADER: [&str; 8] = [
    "任务编号",
    "序号",
    "项目",
    "具体任务",
    "落实措施",
    "责任部门",
    "完成时限",
    "进展情况",
];

/// The UTF-8 byte order mark. Excel on Chinese Windows reads a CSV without it as GBK and shows
/// mojibake; with it, Excel, WPS and LibreOffice all open the file as UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The checklist as CSV bytes: BOM, header, one row per task. Cells keep their line breaks
/// (quoted, RFC 4180).
///
/// # Errors
/// [`ExportError::Csv`] (only on an internal writer failure).
pub fn checklist_csv(rows: &[Row]) -> Result<Vec<u8>, ExportError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    w.write_record(CSV_HEADER)?;
    for r in rows {
        let area = r.area.to_string();
        w.write_record([
            r.task_id.as_str(),
            &area,
            &r.area_title,
            &r.task,
            &r.measures,
            &r.departments,
            &r.deadline,
            &r.progress,
        ])?;
    }
    w.into_inner().map_err(|e| ExportError::Io {
        path: "<csv buffer>".into(),
        source: std::io::Error::other(e.to_string()),
    })
}

/// The checklist as Markdown: the title, then one `##` section and table per area.
pub fn checklist_md(rows: &[Row], title: &str) -> String {
    let mut out = format!("# {title}\n");
    let mut area = None;
    for r in rows {
        if area != Some(r.area) {
            area = Some(r.area);
            out.push_str(&format!("\n## {}. {}\n\n", r.area, r.area_title));
            out.push_str("| 序号 | 具体任务 | 落实措施 | 责任部门 | 完成时限 | 进展情况 |\n");
            out.push_str("|---|---|---|---|---|---|\n");
        }
        let cells = [
            r.task_id.as_str(),
            &r.task,
            &r.measures,
            &r.departments,
            &r.deadline,
            &r.progress,
        ];
        let cells: Vec<String> = cells.iter().map(|c| md_cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// A table cell: `|` and `<` escaped (titles quote 《…<…>…》, which a renderer could take for
/// HTML), line breaks as `<br>` (GFM tables are one line per row).
fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(area: u32, id: &str, progress: &str) -> Row {
        Row {
            area,
            area_title: format!("（{area}）标题"),
            task_id: id.into(),
            task: format!("{id}.任务"),
            measures: "1.措施一\n2.措施二|竖线".into(),
            departments: "食品室、各市场监管所".into(),
            deadline: "长期坚持".into(),
            progress: progress.into(),
        }
    }

    #[test]
    fn csv_starts_with_bom_and_round_trips() {
        let rows = [row(1, "1.1", "2027-03-05 张三：已部署"), row(2, "2.1", "")];
        let bytes = checklist_csv(&rows).unwrap();
        assert!(bytes.starts_with(BOM));
        let mut r = csv::Reader::from_reader(&bytes[BOM.len()..]);
        assert_eq!(r.headers().unwrap(), CSV_HEADER.as_slice());
        let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(&recs[0][4], "1.措施一\n2.措施二|竖线");
        assert_eq!(&recs[0][7], "2027-03-05 张三：已部署");
        assert_eq!(&recs[1][1], "2");
    }

    #[test]
    fn markdown_has_a_table_per_area_with_escaped_cells() {
        let md = checklist_md(
            &[row(1, "1.1", "a\nb"), row(1, "1.2", ""), row(2, "2.1", "")],
            "T",
        );
        assert!(md.starts_with("# T\n"));
        assert_eq!(md.matches("| 序号 |").count(), 2);
        assert!(md.contains("| 1.1 | 1.1.任务 | 1.措施一<br>2.措施二\\|竖线 |"));
        assert!(md.contains("| a<br>b |"));
        assert!(md.contains("## 2. （2）标题"));
    }
}
