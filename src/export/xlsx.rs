//! The checklist as an xlsx workbook laid out like the source table (title, two header rows,
//! 序号 and 项目 merged down each area), printable on A4 landscape, plus a 执行情况 sheet listing
//! every occurrence.
//!
//! May touch: nothing (pure: rows in, workbook bytes out; [`super::write_atomic`] writes them).

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet};

use super::{ExportError, OccurrenceRow, Row};
use crate::notify::Colour;

/// The title row, as in the source document.
pub const TITLE: &str = "《关于加强食品安全重点领域监管的方案》明确的重点工作落实清单";
/// Name of the checklist sheet.
pub const SHEET_CHECKLIST: &str = "落实清单";
/// Name of the occurrence sheet.
pub const SHEET_OCCURRENCES: &str = "执行情况";

/// Checklist column widths in Excel character units: 序号, 项目, 具体任务, 落实措施, 责任部门,
/// 完成时限, 进展情况. About 190 units in all; fit-to-width scales it onto A4 landscape.
const WIDTHS: [f64; 7] = [6.0, 16.0, 38.0, 56.0, 18.0, 10.0, 40.0];
/// First data row (after the title and the two header rows).
const FIRST_DATA_ROW: u32 = 3;
/// Points per wrapped line at 10 pt, and Excel's maximum row height.
const LINE_PT: f64 = 13.5;
const MAX_ROW_PT: f64 = 409.0;
/// A4 in Excel's paper-size numbering.
const PAPER_A4: u8 = 9;

fn base(size: u32) -> Format {
    Format::new()
        .set_font_name("宋体")
        .set_font_size(size)
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin)
}

/// The workbook: [`SHEET_CHECKLIST`] with `rows`, [`SHEET_OCCURRENCES`] with `occurrences`.
///
/// # Errors
/// [`ExportError::Xlsx`] (only on an internal writer failure).
pub fn checklist_xlsx(rows: &[Row], occurrences: &[OccurrenceRow]) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET_CHECKLIST)?;
    checklist_sheet(ws, rows)?;
    let ws = wb.add_worksheet();
    ws.set_name(SHEET_OCCURRENCES)?;
    occurrence_sheet(ws, occurrences)?;
    Ok(wb.save_to_buffer()?)
}

fn page_setup(ws: &mut Worksheet, repeat_to: u32) -> Result<(), ExportError> {
    ws.set_landscape()
        .set_paper_size(PAPER_A4)
        .set_print_fit_to_pages(1, 0)
        .set_print_center_horizontally(true)
        .set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3)
        .set_footer("&C第 &P 页，共 &N 页");
    ws.set_repeat_rows(1, repeat_to)?;
    Ok(())
}

fn checklist_sheet(ws: &mut Worksheet, rows: &[Row]) -> Result<(), ExportError> {
    let title = Format::new()
        .set_font_name("宋体")
        .set_font_size(16)
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let head = base(11)
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let body = base(10);
    let centre = base(10).set_align(FormatAlign::Center);
    for (c, w) in WIDTHS.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.merge_range(0, 0, 0, 6, TITLE, &title)?;
    ws.set_row_height(0, 30)?;
    ws.merge_range(1, 0, 2, 0, "序号", &head)?;
    ws.merge_range(1, 1, 1, 2, "重点任务", &head)?;
    ws.write_string_with_format(2, 1, "项目", &head)?;
    ws.write_string_with_format(2, 2, "具体任务", &head)?;
    for (c, name) in [
        (3, "落实措施"),
        (4, "责任部门"),
        (5, "完成时限"),
        (6, "进展情况"),
    ] {
        ws.merge_range(1, c, 2, c, name, &head)?;
    }
    let mut r = FIRST_DATA_ROW;
    for area in rows.chunk_by(|a, b| a.area == b.area) {
        write_area(ws, r, area, &body, &centre)?;
        r += area.len() as u32;
    }
    page_setup(ws, 2)?;
    ws.set_freeze_panes(FIRST_DATA_ROW, 0)?;
    Ok(())
}

/// One area: 序号 and 项目 merged down its tasks (a single cell when it has one task).
fn write_area(
    ws: &mut Worksheet,
    first: u32,
    area: &[Row],
    body: &Format,
    centre: &Format,
) -> Result<(), ExportError> {
    let last = first + area.len() as u32 - 1;
    let (number, title) = (area[0].area.to_string(), area[0].area_title.as_str());
    if last > first {
        ws.merge_range(first, 0, last, 0, &number, centre)?;
        ws.merge_range(first, 1, last, 1, title, body)?;
    } else {
        ws.write_string_with_format(first, 0, &number, centre)?;
        ws.write_string_with_format(first, 1, title, body)?;
    }
    for (i, row) in area.iter().enumerate() {
        let r = first + i as u32;
        let cells = [
            &row.task,
            &row.measures,
            &row.departments,
            &row.deadline,
            &row.progress,
        ];
        for (c, text) in cells.iter().enumerate() {
            let fmt = if c == 3 { centre } else { body };
            ws.write_string_with_format(r, c as u16 + 2, *text, fmt)?;
        }
        let lines = cells
            .iter()
            .zip(&WIDTHS[2..])
            .map(|(t, w)| wrapped_lines(t, *w))
            .max()
            .unwrap_or(1);
        ws.set_row_height(r, row_height(lines))?;
    }
    Ok(())
}

/// Rows written by this library have a fixed height (Excel does not grow rows of merged or
/// pre-written wrapped cells on open), so estimate it: CJK characters are two units wide.
fn wrapped_lines(text: &str, width: f64) -> usize {
    let usable = (width - 1.0).max(1.0);
    text.split('\n')
        .map(|line| {
            let units: f64 = line
                .chars()
                .map(|c| if c.is_ascii() { 1.1 } else { 2.0 })
                .sum();
            ((units / usable).ceil() as usize).max(1)
        })
        .sum()
}

fn row_height(lines: usize) -> f64 {
    (lines as f64 * LINE_PT + 4.0).min(MAX_ROW_PT)
}

fn occurrence_sheet(ws: &mut Worksheet, rows: &[OccurrenceRow]) -> Result<(), ExportError> {
    const HEAD: [&str; 9] = [
        "任务编号",
        "具体任务",
        "周期",
        "开始",
        "结束",
        "截止",
        "状态",
        "颜色",
        "周期编号",
    ];
    const W: [f64; 9] = [8.0, 56.0, 18.0, 11.0, 11.0, 11.0, 22.0, 6.0, 30.0];
    let head = base(11).set_bold().set_align(FormatAlign::Center);
    let body = base(10);
    ws.merge_range(
        0,
        0,
        0,
        8,
        SHEET_OCCURRENCES,
        &head.clone().set_font_size(14),
    )?;
    for (c, (h, w)) in HEAD.iter().zip(W).enumerate() {
        ws.set_column_width(c as u16, w)?;
        ws.write_string_with_format(1, c as u16, *h, &head)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 2;
        let o = &row.occurrence;
        let due = o.due_date.map(|d| d.to_string()).unwrap_or_default();
        let cells = [
            o.task_id.clone(),
            row.task.clone(),
            o.period_label.clone(),
            o.window_start.to_string(),
            o.window_end.to_string(),
            due,
            row.status.clone(),
        ];
        for (c, text) in cells.iter().enumerate() {
            ws.write_string_with_format(r, c as u16, text, &body)?;
        }
        let colour = body.clone().set_background_color(fill(o.colour));
        ws.write_string_with_format(r, 7, o.colour.zh(), &colour)?;
        ws.write_string_with_format(r, 8, &o.key, &body)?;
    }
    page_setup(ws, 1)?;
    ws.set_freeze_panes(2, 0)?;
    Ok(())
}

/// Light fills, so the text stays readable when printed in black and white.
fn fill(c: Colour) -> Color {
    match c {
        Colour::Blue => Color::RGB(0xDDEBF7),
        Colour::Yellow => Color::RGB(0xFFF2CC),
        Colour::Red => Color::RGB(0xF8CBAD),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_text_wraps_at_half_the_column_width() {
        assert_eq!(wrapped_lines("", 10.0), 1);
        assert_eq!(wrapped_lines("一二三四", 9.0), 1);
        assert_eq!(wrapped_lines("一二三四五", 9.0), 2);
        assert_eq!(wrapped_lines("a\nb\nc", 10.0), 3);
        assert_eq!(row_height(1000), MAX_ROW_PT);
    }
}
