//! The report's charts, drawn by plotters into SVG strings that the page inlines (no network,
//! no script). Text is written as SVG `<text>` in a generic family; the page's CSS names the
//! CJK fonts, so Chinese labels render wherever the page is opened.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// A colour as the page's legend writes it too.
pub type Rgb = (u8, u8, u8);

/// Sixteen saturated colours, far apart, each readable as a thin line on white (plotters'
/// 99-colour palette has pale yellows and pinks that vanish beside 15 other cities).
const CITY_COLORS: [Rgb; 16] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (0, 128, 128),
    (188, 150, 0),
    (23, 160, 190),
    (57, 59, 121),
    (120, 120, 120),
    (132, 60, 57),
    (0, 90, 50),
    (200, 60, 140),
    (90, 60, 200),
];

/// The colour of series `index`; index 0 is kept dark for the province line, the cities take
/// [`CITY_COLORS`] in turn.
pub fn series_color(index: usize) -> Rgb {
    match index {
        0 => (33, 33, 33),
        _ => CITY_COLORS[(index - 1) % CITY_COLORS.len()],
    }
}

/// One line of a line chart.
pub struct Line<'a> {
    pub values: &'a [Option<f64>],
    pub color: Rgb,
    pub bold: bool,
}

const FONT: &str = "sans-serif";

fn fail(error: impl std::fmt::Display) -> String {
    error.to_string()
}

/// Values per comparison year, one line each; a gap where a year has no value.
pub fn line_chart(
    years: &[i32],
    lines: &[Line],
    y_desc: &str,
    size: (u32, u32),
) -> Result<String, String> {
    let (Some(&first), Some(&last)) = (years.first(), years.last()) else {
        return Ok(String::new());
    };
    let values: Vec<f64> = lines
        .iter()
        .flat_map(|line| line.values.iter().flatten().copied())
        .filter(|v| v.is_finite())
        .collect();
    let (mut low, mut high) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    if !low.is_finite() {
        (low, high) = (0.0, 1.0);
    }
    let pad = if high > low {
        (high - low) * 0.08
    } else {
        low.abs().max(1.0) * 0.1
    };
    let (low, high) = (low - pad, high + pad);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .margin_left(8)
            .margin_right(24)
            .margin_top(12)
            .margin_bottom(4)
            .x_label_area_size(28)
            .y_label_area_size(64)
            .build_cartesian_2d(first..last, low..high)
            .map_err(fail)?;
        let year_label = |year: &i32| format!("{year}");
        let value_label = |value: &f64| short_number(*value);
        chart
            .configure_mesh()
            .x_labels(years.len())
            .x_label_formatter(&year_label)
            .y_labels(6)
            .y_label_formatter(&value_label)
            .y_desc(y_desc)
            .disable_x_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 13))
            .draw()
            .map_err(fail)?;
        // Light lines first, the bold (province) line on top.
        let mut order: Vec<&Line> = lines.iter().collect();
        order.sort_by_key(|line| line.bold);
        for line in order {
            let (r, g, b) = line.color;
            let color = RGBColor(r, g, b);
            let style = ShapeStyle::from(&color).stroke_width(if line.bold { 3 } else { 1 });
            let points: Vec<(i32, Option<f64>)> = years
                .iter()
                .zip(line.values.iter())
                .map(|(year, value)| (*year, value.filter(|v| v.is_finite())))
                .collect();
            for run in points.split(|(_, value)| value.is_none()) {
                let run: Vec<(i32, f64)> =
                    run.iter().filter_map(|(y, v)| Some((*y, (*v)?))).collect();
                if run.len() > 1 {
                    chart
                        .draw_series(LineSeries::new(run.iter().copied(), style))
                        .map_err(fail)?;
                }
                let radius = if line.bold { 4 } else { 2 };
                chart
                    .draw_series(
                        run.iter()
                            .map(|point| Circle::new(*point, radius, color.filled())),
                    )
                    .map_err(fail)?;
            }
        }
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// Horizontal bars, stacked: one row per label (first label on top), one segment per stack.
pub fn stacked_bars(
    labels: &[String],
    stacks: &[Vec<f64>],
    colors: &[Rgb],
    x_desc: &str,
    width: u32,
) -> Result<String, String> {
    let rows = labels.len().max(1);
    let height = 40 + 22 * rows as u32;
    let max = stacks
        .iter()
        .map(|stack| stack.iter().sum::<f64>())
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.05;
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(4);
    let label_area = (longest as u32 * 14 + 12).clamp(60, 320);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let n = rows as i32;
        let mut chart = ChartBuilder::on(&root)
            .margin_right(24)
            .margin_top(8)
            .x_label_area_size(30)
            .y_label_area_size(label_area)
            .build_cartesian_2d(0.0..max, (0..n).into_segmented())
            .map_err(fail)?;
        // Row 0 is drawn at the bottom: label i sits on row n - 1 - i.
        let label_of = |value: &SegmentValue<i32>| {
            let row = match value {
                SegmentValue::CenterOf(row) | SegmentValue::Exact(row) => *row,
                SegmentValue::Last => return String::new(),
            };
            labels
                .get((n - 1 - row) as usize)
                .cloned()
                .unwrap_or_default()
        };
        let value_label = |value: &f64| short_number(*value);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows)
            .y_label_formatter(&label_of)
            .x_labels(6)
            .x_label_formatter(&value_label)
            .x_desc(x_desc)
            .light_line_style(RGBColor(238, 238, 238))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 13))
            .draw()
            .map_err(fail)?;
        for (index, stack) in stacks.iter().enumerate() {
            let row = n - 1 - index as i32;
            let mut start = 0.0;
            for (part, value) in stack.iter().enumerate() {
                if *value <= 0.0 {
                    continue;
                }
                let (r, g, b) = colors.get(part).copied().unwrap_or((120, 120, 120));
                let mut bar = Rectangle::new(
                    [
                        (start, SegmentValue::Exact(row)),
                        (start + value, SegmentValue::Exact(row + 1)),
                    ],
                    RGBColor(r, g, b).filled(),
                );
                bar.set_margin(3, 3, 0, 0);
                chart.draw_series(std::iter::once(bar)).map_err(fail)?;
                start += value;
            }
        }
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// A compact axis label: 12.5, 1,234, 3.2万, 1.5亿.
pub fn short_number(value: f64) -> String {
    let abs = value.abs();
    if abs >= 1e8 {
        format!("{}亿", trim(value / 1e8, 1))
    } else if abs >= 1e4 {
        format!("{}万", trim(value / 1e4, 1))
    } else if abs >= 100.0 {
        trim(value, 0)
    } else {
        trim(value, 1)
    }
}

fn trim(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_their_labels() {
        let values = [Some(1.0), None, Some(3.0)];
        let svg = line_chart(
            &[2019, 2020, 2021],
            &[Line {
                values: &values,
                color: series_color(0),
                bold: true,
            }],
            "合格率(%)",
            (400, 240),
        )
        .unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("2020") && svg.contains("合格率"), "{svg}");
        let svg = stacked_bars(
            &["济南市".to_string(), "青岛市".to_string()],
            &[vec![3.0, 1.0], vec![2.0, 0.0]],
            &[(200, 0, 0), (0, 0, 200)],
            "条数",
            500,
        )
        .unwrap();
        assert!(svg.contains("济南市") && svg.contains("<rect"), "{svg}");
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short_number(123456.0), "12.3万");
        assert_eq!(short_number(95.26), "95.3");
        assert_eq!(short_number(2.0), "2");
        assert_eq!(short_number(350000000.0), "3.5亿");
    }
}
