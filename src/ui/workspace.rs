//! The workspace: a lab's panels as docked tiles ([`egui_tiles`]). Every panel is a tab in a
//! tab stack; a title dragged onto another stack's tab bar joins it, dragged onto a tile's
//! edge splits it; splitters resize; a title's double-click (or the stack's maximize button)
//! fills the whole dashboard with that panel until it is restored; a tab's cross closes the
//! panel, and the View menu opens it again.
//!
//! The tree holds panel ids ([`PanelSpec::id`]), not indices, so a layout file outlives
//! changes to a lab's panel order. Per-panel state (cameras) lives here too, keyed by id: a
//! panel keeps its camera across moves, tab switches, maximize and title changes.
//!
//! (Over 600 lines: the tile behaviour, the maximized view, the tree checks for saved layouts
//! and their tests belong together; about a quarter of the file is tests.)

use std::collections::{HashMap, HashSet};

use egui::{Color32, Frame, Margin, Rect, Sense, Stroke, Ui, WidgetText};
use egui_tiles::{Container, Linear, LinearDir, SimplificationOptions, Tile, TileId, Tiles, Tree};

use crate::ui::lab::{Lab, Layout, PanelSpec, reborrow};
use crate::ui::panels::{PanelState, PanelsOutput, Show, panel_content_ui};

/// The layout of one lab: the tile tree, which panel (if any) is maximized, and the panels'
/// cameras.
pub struct Workspace {
    /// The lab this workspace belongs to.
    lab: String,
    /// The lab's panel ids the tree was made for.
    ids: Vec<String>,
    tree: Tree<String>,
    maximized: Option<String>,
    states: HashMap<String, PanelState>,
}

/// A workspace's arrangement as it is saved: the tree and the maximized panel.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Arrangement {
    /// The tile tree (panes are panel ids).
    pub tree: Tree<String>,
    /// The panel filling the dashboard, if any.
    pub maximized: Option<String>,
}

impl Workspace {
    /// An empty workspace (no lab yet).
    pub fn empty() -> Self {
        Self {
            lab: String::new(),
            ids: Vec::new(),
            tree: Tree::empty(tree_id("")),
            maximized: None,
            states: HashMap::new(),
        }
    }

    /// The workspace of `lab` arranged as `layout`.
    pub fn new(lab: &dyn Lab, layout: &Layout) -> Self {
        let specs = lab.panels();
        let ids: Vec<String> = specs.iter().map(|s| s.id.clone()).collect();
        let mut workspace = Self {
            lab: lab.name().to_string(),
            tree: build_tree(lab.name(), layout, &ids),
            ids,
            maximized: None,
            states: HashMap::new(),
        };
        workspace.sync_states(&specs);
        workspace
    }

    /// Whether this workspace was made for `lab` as its panels are now.
    pub fn fits(&self, lab: &str, specs: &[PanelSpec]) -> bool {
        self.lab == lab
            && self.ids.len() == specs.len()
            && self.ids.iter().zip(specs).all(|(id, s)| *id == s.id)
    }

    /// Adopts a saved arrangement after checking it names only `self`'s panels, each once,
    /// in a well-formed tree. On error the workspace is unchanged.
    pub fn restore(&mut self, arrangement: Arrangement) -> Result<(), String> {
        let known: HashSet<&str> = self.ids.iter().map(String::as_str).collect();
        check_tree(&arrangement.tree, &known)?;
        if let Some(id) = &arrangement.maximized
            && !known.contains(id.as_str())
        {
            return Err(format!("it maximizes an unknown panel {id:?}"));
        }
        let Tree {
            root, mut tiles, ..
        } = arrangement.tree;
        // Shares from a file may be anything; splitters need positive, finite ones.
        for tile in tiles.tiles_mut() {
            if let Tile::Container(Container::Linear(linear)) = tile {
                for child in linear.children.clone() {
                    let share = linear.shares[child];
                    if !(share.is_finite() && share > 0.0) {
                        linear.shares.set_share(child, 1.0);
                    }
                }
            }
        }
        self.tree = match root {
            Some(root) => Tree::new(tree_id(&self.lab), root, tiles),
            None => Tree::empty(tree_id(&self.lab)),
        };
        self.tree.simplify(&simplification());
        self.maximized = arrangement.maximized;
        Ok(())
    }

    /// The arrangement to save.
    pub fn arrangement(&self) -> Arrangement {
        Arrangement {
            tree: self.tree.clone(),
            maximized: self.maximized.clone(),
        }
    }

    /// The lab's name.
    pub fn lab(&self) -> &str {
        &self.lab
    }

    /// The lab's panel ids.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Puts the panels back as `layout` says (cameras are kept) and restores a maximized one.
    pub fn reset(&mut self, layout: &Layout) {
        self.tree = build_tree(&self.lab, layout, &self.ids);
        self.maximized = None;
    }

    /// Keeps a camera for each of `specs` (new panels get theirs; gone ones are dropped).
    pub(crate) fn sync_states(&mut self, specs: &[PanelSpec]) {
        self.states
            .retain(|id, _| specs.iter().any(|s| s.id == *id));
        for spec in specs {
            self.states
                .entry(spec.id.clone())
                .or_insert_with(|| PanelState::new(spec));
        }
    }

    /// Shows run `show` in every panel (while comparing with a Run B).
    pub fn show_everywhere(&mut self, show: Show) {
        for state in self.states.values_mut() {
            state.show = show;
        }
    }

    /// Which run panel `id` shows.
    pub fn shows(&self, id: &str) -> Show {
        self.states.get(id).map_or(Show::A, |s| s.show)
    }

    /// Makes panel `id` show run `show`.
    pub fn set_show(&mut self, id: &str, show: Show) {
        if let Some(state) = self.states.get_mut(id) {
            state.show = show;
        }
    }

    /// The maximized panel, if any.
    pub fn maximized(&self) -> Option<&str> {
        self.maximized.as_deref()
    }

    /// Fills the dashboard with panel `id` (`None`: back to the tiles). An unknown id is
    /// ignored; a closed panel is opened first.
    pub fn set_maximized(&mut self, id: Option<&str>) {
        match id {
            Some(id) if self.ids.iter().any(|known| known == id) => {
                if !self.is_open(id) {
                    self.open(id);
                }
                self.maximized = Some(id.to_string());
            }
            Some(_) => {}
            None => self.maximized = None,
        }
    }

    /// Whether panel `id` is in the tiles (closed panels are listed in the View menu).
    pub fn is_open(&self, id: &str) -> bool {
        self.tree.tiles.find_pane(&id.to_string()).is_some()
    }

    /// Whether panel `id` is drawn this frame (open, in the active tab of its stack, and not
    /// hidden by another maximized panel).
    pub fn is_shown(&self, id: &str) -> bool {
        if let Some(max) = &self.maximized {
            return max == id;
        }
        self.tree
            .tiles
            .find_pane(&id.to_string())
            .is_some_and(|tile| self.tree.active_tiles().contains(&tile))
    }

    /// Opens panel `id` as a new tab of the first tab stack (or as the only tile).
    pub fn open(&mut self, id: &str) {
        if self.is_open(id) || !self.ids.iter().any(|known| known == id) {
            return;
        }
        let pane = self.tree.tiles.insert_pane(id.to_string());
        let stack = self
            .tree
            .root()
            .and_then(|root| first_tabs(&self.tree.tiles, root));
        match stack {
            Some(stack) => {
                if let Some(Tile::Container(Container::Tabs(tabs))) = self.tree.tiles.get_mut(stack)
                {
                    tabs.add_child(pane);
                    tabs.set_active(pane);
                }
            }
            None => {
                let tabs = self.tree.tiles.insert_tab_tile(vec![pane]);
                self.tree.root = Some(tabs);
            }
        }
    }

    /// Closes panel `id` (it stays listed in the View menu).
    pub fn close(&mut self, id: &str) {
        if let Some(tile) = self.tree.tiles.find_pane(&id.to_string()) {
            self.tree.remove_recursively(tile);
            self.tree.simplify(&simplification());
        }
        if self.maximized.as_deref() == Some(id) {
            self.maximized = None;
        }
    }

    /// Makes panel `id` the shown tab of its stack.
    pub fn show_tab(&mut self, id: &str) {
        if let Some(tile) = self.tree.tiles.find_pane(&id.to_string()) {
            self.tree.make_active(|tile_id, _| tile_id == tile);
        }
    }

    /// Moves panel `id` into the tab stack that holds panel `target` (as its last tab).
    pub fn move_into_stack_of(&mut self, id: &str, target: &str) {
        let (Some(tile), Some(target_tile)) = (
            self.tree.tiles.find_pane(&id.to_string()),
            self.tree.tiles.find_pane(&target.to_string()),
        ) else {
            return;
        };
        let Some(stack) = self.tree.tiles.parent_of(target_tile) else {
            return;
        };
        let len = match self.tree.tiles.get(stack) {
            Some(Tile::Container(container)) => container.num_children(),
            _ => return,
        };
        self.tree.move_tile_to_container(tile, stack, len, true);
        self.tree.simplify(&simplification());
    }

    /// The panel ids of each tab stack, in tree order (for tests and reports).
    pub fn stacks(&self) -> Vec<Vec<String>> {
        let mut stacks = Vec::new();
        if let Some(root) = self.tree.root() {
            collect_stacks(&self.tree.tiles, root, &mut stacks);
        }
        stacks
    }

    /// Lays out and draws the panels in the space left in `ui`.
    pub(crate) fn ui(
        &mut self,
        ui: &mut Ui,
        lab: &mut dyn Lab,
        mut b: Option<&mut dyn Lab>,
        specs: &[PanelSpec],
        out: &mut PanelsOutput,
    ) {
        let index: HashMap<&str, usize> = specs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        if let Some(id) = self.maximized.clone() {
            if let Some(&panel) = index.get(id.as_str()) {
                let mut show = self.states.get(&id).map_or(Show::A, |s| s.show);
                let comparing = b.is_some();
                let restore = maximized_ui(
                    ui,
                    &specs[panel],
                    comparing.then_some(&mut show),
                    |ui, show| {
                        if let Some(state) = self.states.get_mut(&id) {
                            state.show = show;
                            panel_content_ui(ui, panel, lab, b, &specs[panel], state, out);
                        }
                    },
                );
                if restore {
                    self.maximized = None;
                }
                return;
            }
            self.maximized = None;
        }
        let mut behavior = TileBehavior {
            lab,
            b: reborrow(&mut b),
            specs,
            index: &index,
            states: &mut self.states,
            out,
            maximize: None,
        };
        self.tree.ui(&mut behavior, ui);
        if let Some(id) = behavior.maximize {
            self.maximized = Some(id);
        }
    }
}

/// How the tree is kept tidy: every panel sits in a tab stack, so it always has a title bar
/// to drag, double-click and close it by.
fn simplification() -> SimplificationOptions {
    SimplificationOptions {
        all_panes_must_have_tabs: true,
        ..SimplificationOptions::default()
    }
}

fn tree_id(lab: &str) -> egui::Id {
    egui::Id::unique(("netviz-tiles", lab))
}

/// Builds the tile tree of `layout`, keeping only `ids` (each once); panels the layout leaves
/// out start closed.
fn build_tree(lab: &str, layout: &Layout, ids: &[String]) -> Tree<String> {
    let mut tiles = Tiles::default();
    let mut unused: HashSet<&str> = ids.iter().map(String::as_str).collect();
    match add_layout(&mut tiles, layout, &mut unused) {
        Some(root) => Tree::new(tree_id(lab), root, tiles),
        None => Tree::empty(tree_id(lab)),
    }
}

fn add_layout(
    tiles: &mut Tiles<String>,
    layout: &Layout,
    unused: &mut HashSet<&str>,
) -> Option<TileId> {
    let mut take = |id: &String, tiles: &mut Tiles<String>| {
        unused
            .remove(id.as_str())
            .then(|| tiles.insert_pane(id.clone()))
    };
    match layout {
        Layout::Panel(id) => {
            let pane = take(id, tiles)?;
            Some(tiles.insert_tab_tile(vec![pane]))
        }
        Layout::Tabs(ids) => {
            let panes: Vec<TileId> = ids.iter().filter_map(|id| take(id, tiles)).collect();
            (!panes.is_empty()).then(|| tiles.insert_tab_tile(panes))
        }
        Layout::Row(parts) | Layout::Column(parts) => {
            let dir = if matches!(layout, Layout::Row(_)) {
                LinearDir::Horizontal
            } else {
                LinearDir::Vertical
            };
            let children: Vec<(TileId, f32)> = parts
                .iter()
                .filter_map(|(share, part)| {
                    Some((add_layout(tiles, part, unused)?, share.max(0.01)))
                })
                .collect();
            if children.is_empty() {
                return None;
            }
            let mut linear = Linear::new(dir, children.iter().map(|(id, _)| *id).collect());
            for (id, share) in &children {
                linear.shares.set_share(*id, *share);
            }
            Some(tiles.insert_container(linear))
        }
    }
}

/// Checks that `tree` is well formed (every child exists, no tile is reached twice) and that
/// its panes are `known` panel ids, each at most once.
fn check_tree(tree: &Tree<String>, known: &HashSet<&str>) -> Result<(), String> {
    let Some(root) = tree.root() else {
        return Ok(());
    };
    let mut seen = HashSet::new();
    let mut panes = HashSet::new();
    let mut stack = vec![root];
    while let Some(tile_id) = stack.pop() {
        if !seen.insert(tile_id) {
            return Err(format!("tile {tile_id:?} appears twice"));
        }
        match tree.tiles.get(tile_id) {
            None => return Err(format!("tile {tile_id:?} is missing")),
            Some(Tile::Pane(id)) => {
                if !known.contains(id.as_str()) {
                    return Err(format!("it names an unknown panel {id:?}"));
                }
                if !panes.insert(id.clone()) {
                    return Err(format!("panel {id:?} appears twice"));
                }
            }
            Some(Tile::Container(container)) => stack.extend(container.children().copied()),
        }
        if seen.len() > 10_000 {
            return Err("it has more than 10,000 tiles".into());
        }
    }
    Ok(())
}

fn first_tabs(tiles: &Tiles<String>, tile: TileId) -> Option<TileId> {
    match tiles.get(tile)? {
        Tile::Pane(_) => None,
        Tile::Container(Container::Tabs(_)) => Some(tile),
        Tile::Container(container) => container
            .children()
            .find_map(|&child| first_tabs(tiles, child)),
    }
}

fn collect_stacks(tiles: &Tiles<String>, tile: TileId, stacks: &mut Vec<Vec<String>>) {
    match tiles.get(tile) {
        Some(Tile::Container(Container::Tabs(tabs))) => {
            let panes = tabs
                .children
                .iter()
                .filter_map(|child| match tiles.get(*child) {
                    Some(Tile::Pane(id)) => Some(id.clone()),
                    _ => None,
                })
                .collect();
            stacks.push(panes);
            for child in &tabs.children {
                if matches!(tiles.get(*child), Some(Tile::Container(_))) {
                    collect_stacks(tiles, *child, stacks);
                }
            }
        }
        Some(Tile::Container(container)) => {
            for child in container.children() {
                collect_stacks(tiles, *child, stacks);
            }
        }
        Some(Tile::Pane(id)) => stacks.push(vec![id.clone()]),
        None => {}
    }
}

/// Height of a tab bar, in points.
const TAB_BAR_PT: f32 = 22.0;

/// How egui_tiles draws and treats the lab's panels.
struct TileBehavior<'a> {
    lab: &'a mut dyn Lab,
    /// Run B, while comparing.
    b: Option<&'a mut dyn Lab>,
    specs: &'a [PanelSpec],
    index: &'a HashMap<&'a str, usize>,
    states: &'a mut HashMap<String, PanelState>,
    out: &'a mut PanelsOutput,
    /// A panel asked to fill the dashboard this frame.
    maximize: Option<String>,
}

impl egui_tiles::Behavior<String> for TileBehavior<'_> {
    fn pane_ui(&mut self, ui: &mut Ui, _tile: TileId, id: &mut String) -> egui_tiles::UiResponse {
        let (Some(&panel), Some(state)) = (self.index.get(id.as_str()), self.states.get_mut(id))
        else {
            return egui_tiles::UiResponse::None;
        };
        panel_content_ui(
            ui,
            panel,
            self.lab,
            reborrow(&mut self.b),
            &self.specs[panel],
            state,
            self.out,
        );
        egui_tiles::UiResponse::None
    }

    fn tab_title_for_pane(&mut self, id: &String) -> WidgetText {
        let title = self
            .index
            .get(id.as_str())
            .map_or(id.as_str(), |&i| self.specs[i].title.as_str());
        title.into()
    }

    fn is_tab_closable(&self, tiles: &Tiles<String>, tile: TileId) -> bool {
        tiles.get(tile).is_some_and(Tile::is_pane)
    }

    fn on_tab_button(
        &mut self,
        tiles: &mut Tiles<String>,
        tile: TileId,
        response: egui::Response,
    ) -> egui::Response {
        if response.double_clicked()
            && let Some(Tile::Pane(id)) = tiles.get(tile)
        {
            self.maximize = Some(id.clone());
        }
        response.on_hover_text("drag to move or stack; double-click to maximize")
    }

    fn top_bar_right_ui(
        &mut self,
        tiles: &Tiles<String>,
        ui: &mut Ui,
        _tile: TileId,
        tabs: &egui_tiles::Tabs,
        _scroll_offset: &mut f32,
    ) {
        let Some(Tile::Pane(id)) = tabs.active.and_then(|active| tiles.get(active)) else {
            return;
        };
        let title = self.tab_title_for_pane(id).text().to_string();
        if window_button_ui(ui, false, &format!("Maximize {title}")).clicked() {
            self.maximize = Some(id.clone());
        }
        if self.b.is_some()
            && let Some(state) = self.states.get_mut(id)
        {
            show_switch_ui(ui, &mut state.show);
        }
    }

    fn tab_bar_height(&self, _style: &egui::Style) -> f32 {
        TAB_BAR_PT
    }

    fn gap_width(&self, _style: &egui::Style) -> f32 {
        2.0
    }

    fn min_size(&self) -> f32 {
        60.0
    }

    fn simplification_options(&self) -> SimplificationOptions {
        simplification()
    }
}

/// The maximize (or restore) button: a square (or two) drawn as a small icon, named for
/// screen readers and tests. Returns its response.
fn window_button_ui(ui: &mut Ui, restore: bool, name: &str) -> egui::Response {
    let side = TAB_BAR_PT - 6.0;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), Sense::click());
    let name = name.to_string();
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
    let visuals = ui.style().interact(&response);
    if response.hovered() {
        ui.painter().rect_filled(rect, 2.0, visuals.weak_bg_fill);
    }
    let stroke = Stroke::new(1.2, visuals.fg_stroke.color);
    let icon = rect.shrink(4.0);
    if restore {
        let back = Rect::from_min_max(
            icon.min + egui::vec2(2.5, 0.0),
            icon.max - egui::vec2(0.0, 2.5),
        );
        let front = Rect::from_min_max(
            icon.min + egui::vec2(0.0, 2.5),
            icon.max - egui::vec2(2.5, 0.0),
        );
        ui.painter()
            .rect_stroke(back, 0.0, stroke, egui::StrokeKind::Inside);
        ui.painter()
            .rect_filled(front, 0.0, ui.visuals().panel_fill);
        ui.painter()
            .rect_stroke(front, 0.0, stroke, egui::StrokeKind::Inside);
    } else {
        ui.painter()
            .rect_stroke(icon, 0.0, stroke, egui::StrokeKind::Inside);
    }
    response.on_hover_text(if restore {
        "restore the layout (double-click the title)"
    } else {
        "maximize (double-click the title)"
    })
}

/// The switch of a panel's run while comparing: A, B or both (laid out right to left).
fn show_switch_ui(ui: &mut Ui, show: &mut Show) {
    ui.add_space(4.0);
    for choice in Show::ALL.into_iter().rev() {
        ui.selectable_value(show, choice, egui::RichText::new(choice.label()).small())
            .on_hover_text(match choice {
                Show::A => "show run A",
                Show::B => "show run B",
                Show::Both => "show runs A and B side by side",
            });
    }
}

/// A maximized panel: a title bar with a restore button over the whole area, then the
/// panel. Returns whether the user asked to restore.
fn maximized_ui(
    ui: &mut Ui,
    spec: &PanelSpec,
    mut switch: Option<&mut Show>,
    content: impl FnOnce(&mut Ui, Show),
) -> bool {
    let rect = ui.available_rect_before_wrap();
    let bar = Rect::from_min_size(rect.min, egui::vec2(rect.width(), TAB_BAR_PT));
    let visuals = ui.visuals().clone();
    ui.painter().rect_filled(bar, 0.0, visuals.extreme_bg_color);
    let mut restore = false;
    ui.scope_builder(egui::UiBuilder::new().max_rect(bar), |ui| {
        ui.horizontal_centered(|ui| {
            ui.add_space(8.0);
            let title = ui.add(
                egui::Label::new(egui::RichText::new(&spec.title).strong()).sense(Sense::click()),
            );
            restore |= title.double_clicked();
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.add_space(4.0);
                restore |= window_button_ui(ui, true, &format!("Restore {}", spec.title)).clicked();
                if let Some(show) = switch.as_deref_mut() {
                    show_switch_ui(ui, show);
                }
            });
        });
    });
    let body = Rect::from_min_max(egui::pos2(rect.min.x, bar.max.y), rect.max);
    ui.scope_builder(egui::UiBuilder::new().max_rect(body), |ui| {
        Frame::new()
            .fill(Color32::TRANSPARENT)
            .inner_margin(Margin::ZERO)
            .show(ui, |ui| {
                ui.set_clip_rect(body.intersect(ui.clip_rect()));
                content(ui, switch.map_or(Show::A, |s| *s));
            });
    });
    ui.advance_cursor_after_rect(rect);
    restore
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_layout_becomes_a_tree_of_tab_stacks_with_every_listed_panel_once() {
        let all = ids(&["a", "b", "c", "d"]);
        let layout = Layout::Row(vec![
            (0.6, Layout::tabs(["a", "b"])),
            (
                0.4,
                Layout::Column(vec![(1.0, Layout::panel("c")), (1.0, Layout::panel("a"))]),
            ),
        ]);
        let tree = build_tree("t", &layout, &all);
        let mut stacks = Vec::new();
        collect_stacks(&tree.tiles, tree.root().unwrap(), &mut stacks);
        // "a" twice in the layout is kept once; "d" is left out (closed).
        assert_eq!(stacks, vec![ids(&["a", "b"]), ids(&["c"])]);
        let known: HashSet<&str> = all.iter().map(String::as_str).collect();
        assert_eq!(check_tree(&tree, &known), Ok(()));
    }

    #[test]
    fn trees_naming_unknown_or_repeated_panels_are_refused() {
        let all = ids(&["a", "b"]);
        let tree = build_tree("t", &Layout::tabs(["a", "b"]), &all);
        let only_a: HashSet<&str> = ["a"].into_iter().collect();
        assert!(check_tree(&tree, &only_a).unwrap_err().contains("\"b\""));
        let mut twice = tree.clone();
        let extra = twice.tiles.insert_pane("a".to_string());
        if let Some(Tile::Container(c)) = twice.root().and_then(|r| twice.tiles.get_mut(r)) {
            c.add_child(extra);
        }
        let known: HashSet<&str> = all.iter().map(String::as_str).collect();
        assert!(check_tree(&twice, &known).unwrap_err().contains("twice"));
    }

    #[test]
    fn grids_cover_every_panel_in_reading_order() {
        let all = ids(&["a", "b", "c", "d"]);
        let layout = Layout::grid(&all, [1600.0, 900.0]);
        assert_eq!(
            layout,
            Layout::Row(vec![
                (
                    1.0,
                    Layout::Column(vec![(1.0, Layout::panel("a")), (1.0, Layout::panel("c"))])
                ),
                (
                    1.0,
                    Layout::Column(vec![(1.0, Layout::panel("b")), (1.0, Layout::panel("d"))])
                ),
            ])
        );
        let mut sorted = layout.ids();
        sorted.sort_unstable();
        assert_eq!(sorted, ["a", "b", "c", "d"]);
    }
}
