# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sphinx configuration of the collection's docs site (`make docs`), from antsibull-docs sphinx-init.

The site builds offline: no intersphinx (its inventories live on docs.ansible.com and
docs.python.org). The few references antsibull-docs writes to Ansible's own documentation
(ansible.builtin modules, common return values, configuration settings, action plugins) become links to
docs.ansible.com here instead, so that the build stays strict (-W) about every other reference.
"""

import re

from docutils import nodes

project = 'hypervisor.kvm'
copyright = 'hypervisor.kvm contributors'  # pylint: disable=redefined-builtin
title = 'hypervisor.kvm collection documentation'
html_short_title = 'hypervisor.kvm'

extensions = ['sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False
# The site is flat (antsibull-docs --squash-hierarchy); its logo leads to its own index, not to "/".
html_theme_options = {'documentation_home_url': 'index.html', 'show_rtd_ethical_ads': False}

default_role = 'any'
nitpicky = True

ANSIBLE_DOCS = 'https://docs.ansible.com/ansible/latest/'
ANSIBLE_LABELS = {
    'common_return_values': 'reference_appendices/common_return_values.html',
    'ansible_configuration_settings': 'reference_appendices/config.html',
    # The note on a module whose code is an action plugin (kvm_fleet_report_write).
    'action_plugins': 'plugins/action.html',
}
ANSIBLE_PLUGIN_LABEL = re.compile(r'^ansible_collections\.ansible\.builtin\.(\w+)_(module|filter|lookup|test)$')


def ansible_docs_link(app, env, node, contnode):  # pylint: disable=unused-argument
    """A reference antsibull-docs made to Ansible's own docs, as a link to docs.ansible.com."""
    if node.get('refdomain') != 'std' or node.get('reftype') != 'ref':
        return None
    target = node.get('reftarget', '')
    page = ANSIBLE_LABELS.get(target)
    plugin = ANSIBLE_PLUGIN_LABEL.match(target)
    if plugin:
        page = 'collections/ansible/builtin/%s_%s.html' % plugin.groups()
    if page is None:
        return None
    link = nodes.reference('', '', internal=False, refuri=ANSIBLE_DOCS + page)
    link += contnode
    return link


def setup(app):
    """Resolve the references to Ansible's docs without fetching an inventory."""
    app.connect('missing-reference', ansible_docs_link)
