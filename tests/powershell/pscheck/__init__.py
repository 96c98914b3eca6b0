# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Static checks of the collection's PowerShell modules, without PowerShell.

ansible-test's validate-modules cannot read an Ansible.Basic ``$spec`` without
pwsh, so this package parses each ``.ps1`` with tree-sitter-pwsh, evaluates
the literal ``$spec`` and compares it with the module's documentation and
with the simulator's model of the module. See docs/testing.md.
"""
